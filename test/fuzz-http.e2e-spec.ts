import fc from 'fast-check';
import { MessageType } from '../src/protocol';
import {
  clip,
  contentOf,
  fuzzRuns,
  labelled,
  leakIn,
  malformedJson,
  mostly,
  oddKey,
  oddNumber,
  oddString,
  oddText,
  oddValue,
  plainObject,
  preview,
  toWire,
} from './helpers/arbitraries';
import { ADMIN_TOKEN, CLUSTER_TOKEN, MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { pagedHistory, uniqueName } from './helpers/ws-client';

type Access = 'public' | 'admin' | 'cluster';
type Credentials = { authorization?: string; cluster?: string };

interface Route {
  method: string;
  /** With `{name}` for path parameters. */
  path: string;
  access: Access;
  /** A successful answer that is not the envelope: Prometheus text, the OpenAPI document. */
  raw?: boolean;
  query?: Record<string, fc.Arbitrary<string>>;
  params?: Record<string, fc.Arbitrary<string>>;
  body?: fc.Arbitrary<unknown>;
}

interface HttpCase {
  method: string;
  path: string;
  credentials: Credentials;
  contentType?: string;
  body?: string;
  /** A successful answer here is not the envelope. */
  raw?: boolean;
}

interface Answer {
  status: number;
  text: string;
  envelope: Record<string, unknown> | null;
}

const ENVELOPE_KEYS = ['code', 'data', 'extra', 'isError', 'isSuccess', 'msg', 'path', 'timestamp'];
/** HTTP status → the envelope codes it may carry (docs/protocol.md §7.1); 500 is never right for client input. */
const CODES_BY_STATUS: Record<number, number[]> = { 200: [0, -10], 400: [-9], 401: [401], 403: [403], 404: [404], 429: [429] };
/** The chat page, the admin console and their assets: files, outside the envelope. */
const WEB_PAGE = /^\/(admin|assets\/[^/]*)?$/;
const ADMIN: Credentials = { authorization: `Bearer ${ADMIN_TOKEN}` };
const CLUSTER: Credentials = { cluster: CLUSTER_TOKEN };

/** Percent-encodes any string, lone surrogates included (as the 3 bytes CESU-8 would give them). */
function encodeLoose(text: string): string {
  let out = '';
  for (const character of text) {
    if (character.isWellFormed()) {
      out += encodeURIComponent(character);
      continue;
    }
    const unit = character.charCodeAt(0);
    out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
  }
  return out;
}

/** A path segment or query value as a client could write it: encoded odd text, or raw odd tokens. */
function segmentOf(pool: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pool).map(encodeURIComponent) },
    // URLs stay under 8 KiB: Node itself refuses a request head over 16 KiB (431), before the application.
    { weight: 3, arbitrary: oddText.map(encodeLoose) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '%00',
        '%ED%A0%80',
        '%C0%AF',
        '%FF',
        '..',
        '.',
        '%2e%2e',
        '%2F',
        'a%2Fb',
        ';',
        '%E2%80%AE',
        'x'.repeat(101),
        'x'.repeat(3000),
        '+',
        '%20',
        'true',
        'false',
        '1',
        '0',
        '-1',
      ),
    },
  );
}

/** The body of POST /send: a ChatRequestMessage with odd fields, mostly between two real users. */
function sendBody(names: string[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      // An unknown field is refused before anything else: rarely, so that most bodies reach the send.
      fc.oneof(
        { weight: 5, arbitrary: fc.constant<[string, unknown][]>([]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(oddKey, oddValue), { minLength: 1, maxLength: 2 }) },
      ),
      fc.record(
        {
          from: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: oddValue }),
          to: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: oddValue }),
          content: contentOf(20000),
          messageType: mostly(fc.constant(MessageType.ChatRequest)),
          sequenceId: fc.oneof(fc.integer({ min: 0, max: 1000 }), oddNumber, oddValue),
          time: mostly(fc.constantFrom('2026-11-26T20:00:00.000Z', '', '2026-13-45', 'yesterday')),
          clientMessageId: fc.oneof(
            { weight: 3, arbitrary: fc.uuid() },
            { weight: 1, arbitrary: oddString },
            { weight: 1, arbitrary: oddValue },
          ),
        },
        { requiredKeys: [] },
      ),
    )
    .map(([extra, fields]) => labelled(plainObject([...extra, ...Object.entries(fields)])));
}

/** A ChatRequestMessage that mostly names the two users and has text content, with odd sequenceIds and clientMessageIds. */
function focusedSendBody(names: string[]): fc.Arbitrary<Record<string, unknown>> {
  const person = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: oddValue });
  return fc
    .record(
      {
        from: person,
        to: person,
        content: fc.oneof(
          { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
          { weight: 1, arbitrary: contentOf(20000) },
        ),
        sequenceId: fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 0, max: 1000 }) }, { weight: 1, arbitrary: oddNumber }),
        clientMessageId: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: oddText }),
        messageType: fc.constant(MessageType.ChatRequest),
      },
      { requiredKeys: ['from', 'to', 'content'] },
    )
    .map((body) => labelled(body));
}

function credentialsFor(access: Access): fc.Arbitrary<Credentials> {
  const right = access === 'admin' ? ADMIN : access === 'cluster' ? CLUSTER : {};
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(right) },
    { weight: 1, arbitrary: fc.constantFrom<Credentials>({}, ADMIN, CLUSTER, { authorization: 'Bearer wrong' }) },
  );
}

const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
      'application/xml',
      '*/*',
      'application/json, text/plain',
      '',
    ),
  },
);

function bodyFor(route: Route): fc.Arbitrary<{ contentType?: string; body?: string }> {
  if (route.method === 'GET') return fc.constant({});
  const json = route.body ?? oddValue;
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(contentTypes, json).map(([contentType, value]) => ({ contentType, body: toWire(value) })) },
    { weight: 2, arbitrary: fc.tuple(contentTypes, oddValue).map(([contentType, value]) => ({ contentType, body: toWire(value) })) },
    { weight: 1, arbitrary: fc.tuple(contentTypes, malformedJson).map(([contentType, body]) => ({ contentType, body })) },
    { weight: 1, arbitrary: fc.constant({}) },
  );
}

function queryFor(route: Route): fc.Arbitrary<string> {
  const known = Object.entries(route.query ?? {}).map(([key, value]) =>
    fc.option(
      value.map((v) => `${key}=${v}`),
      { nil: undefined },
    ),
  );
  const odd = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...Object.keys(route.query ?? { x: 0 })), oddKey.map(encodeLoose)), segmentOf(['x'])),
    { maxLength: 2 },
  );
  return fc.tuple(fc.tuple(...known), odd).map(([pairs, extra]) => {
    const parts = [...pairs.filter((p): p is string => p !== undefined), ...extra.map(([k, v]) => `${k}=${v}`)];
    return parts.length ? `?${parts.join('&')}` : '';
  });
}

function caseFor(route: Route): fc.Arbitrary<HttpCase> {
  const params = Object.entries(route.params ?? {});
  return fc
    .tuple(fc.tuple(...params.map(([, arbitrary]) => arbitrary)), queryFor(route), credentialsFor(route.access), bodyFor(route))
    .map(([values, query, credentials, body]) => {
      let path = route.path;
      params.forEach(([name], index) => (path = path.replace(`{${name}}`, values[index])));
      return labelled<HttpCase>({ method: route.method, path: path + query, credentials, ...body, raw: route.raw });
    });
}

/** Which caller the server must see, per docs/protocol.md §7.2 (header values arrive trimmed). */
function callerOf(credentials: Credentials): 'admin' | 'cluster' | 'anonymous' | 'invalid' {
  const authorization = credentials.authorization?.trim();
  const bearer = authorization === undefined ? undefined : /^Bearer\s+(.+)$/i.exec(authorization)?.[1].trim();
  if (bearer === ADMIN_TOKEN) return 'admin';
  const cluster = credentials.cluster?.trim();
  if (cluster !== undefined && cluster !== '') return cluster === CLUSTER_TOKEN ? 'cluster' : 'invalid';
  return authorization ? 'invalid' : 'anonymous';
}

jest.setTimeout(180000);

describe(`HTTP fuzzing (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let server: Instance;
  const names: string[] = [];
  let groupName = '';
  let routes: Route[] = [];

  async function request(c: HttpCase): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (c.credentials.authorization !== undefined) headers.authorization = c.credentials.authorization;
    if (c.credentials.cluster !== undefined) headers['x-cluster-token'] = c.credentials.cluster;
    if (c.contentType) headers['content-type'] = c.contentType;
    const response = await fetch(`http://127.0.0.1:${server.port}${c.path}`, {
      method: c.method,
      headers,
      body: c.body,
      signal: AbortSignal.timeout(20000),
    });
    const text = await response.text();
    let envelope: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) envelope = parsed as Record<string, unknown>;
    } catch {
      envelope = null;
    }
    return { status: response.status, text, envelope };
  }

  /** Problems with one answer: the envelope, its status/code pair, its path, and leaks. */
  function problemsOf(c: HttpCase, answer: Answer): string[] {
    const problems: string[] = [];
    const leak = leakIn(answer.text);
    if (leak) problems.push(`the answer leaks "${leak}"`);
    const path = new URL(`http://127.0.0.1${c.path}`).pathname;
    if ((c.raw || WEB_PAGE.test(path)) && answer.status === 200) return problems;
    const codes = CODES_BY_STATUS[answer.status];
    if (!codes) problems.push(`HTTP ${answer.status}`);
    const envelope = answer.envelope;
    if (!envelope) return [...problems, 'the body is not the envelope'];
    const keys = Object.keys(envelope).sort();
    if (keys.join() !== ENVELOPE_KEYS.join()) problems.push(`envelope keys ${keys.join()}`);
    if (codes && !codes.includes(envelope.code as number)) problems.push(`code ${String(envelope.code)} with HTTP ${answer.status}`);
    const success = envelope.code === 0 || envelope.code === 200;
    if (envelope.isSuccess !== success || envelope.isError !== !success) problems.push('isSuccess/isError do not match the code');
    if (typeof envelope.timestamp !== 'number' || typeof envelope.msg !== 'string') problems.push('timestamp or msg of the wrong type');
    if (envelope.path !== path) problems.push(`path ${preview(envelope.path)} for ${preview(path)}`);
    return problems;
  }

  function check(c: HttpCase, answer: Answer, problems = problemsOf(c, answer)): void {
    if (problems.length > 0) {
      throw new Error(
        `${problems.join('; ')}\n  ${c.method} ${clip(c.path, 300)} ${JSON.stringify(c.credentials)} ${c.contentType ?? ''}\n` +
          `  body: ${clip(c.body ?? '', 300)}\n  got: HTTP ${answer.status} ${clip(answer.text, 300)}`,
      );
    }
  }

  async function expectAlive(): Promise<void> {
    expect(server.running).toBe(true);
    expect((await server.http('GET', '/health')).status).toBe(200);
    const client = await fixture.connect(server);
    expect((await client.request({ messageType: MessageType.Ping, requestTime: 1 })).messageType).toBe(MessageType.Pong);
  }

  async function property<T>(arbitrary: fc.Arbitrary<T>, runs: number, body: (value: T) => Promise<void>): Promise<void> {
    await fc.assert(fc.asyncProperty(arbitrary, body), fuzzRuns(runs) as fc.Parameters<[T]>);
  }

  beforeAll(async () => {
    server = await fixture.start();
    const setup = await fixture.connect(server);
    for (const prefix of ['ha', 'hb', 'hc']) {
      const name = uniqueName(prefix);
      expect((await setup.register(name, 'secret-pass')).success).toBe(true);
      names.push(name);
    }
    expect((await setup.login(names[2], 'secret-pass')).success).toBe(true);
    groupName = `http ${uniqueName('g')}`;
    expect((await setup.request({ messageType: MessageType.GroupCreateRequest, groupName, members: [names[0]] })).success).toBe(true);
    setup.close();

    const user = segmentOf([...names, 'nobody-known', 'admin']);
    const group = segmentOf([groupName, 'no such group']);
    const number = fc.oneof(
      fc.constantFrom('1', '0', '-1', '20', '100', '101', '1000000', '1000001', '1e2', '1.5', '', 'abc', '9'.repeat(30), '01', '%201'),
      segmentOf(['1']),
    );
    const message = (extra: Record<string, fc.Arbitrary<unknown>> = {}) =>
      fc.record(
        {
          from: mostly(fc.constantFrom(...names)),
          groupName: mostly(fc.constant(groupName)),
          content: contentOf(20000),
          messageId: oddValue,
          sequenceId: oddValue,
          success: oddValue,
          reason: oddValue,
          time: oddValue,
          ...extra,
        },
        { requiredKeys: [] },
      );
    routes = [
      { method: 'GET', path: '/port', access: 'public' },
      { method: 'GET', path: '/getOnlineUserCount', access: 'public' },
      { method: 'GET', path: '/serverAddress', access: 'public' },
      { method: 'GET', path: '/health', access: 'public' },
      { method: 'GET', path: '/v2/api-docs', access: 'public', raw: true, query: { group: segmentOf(['x']) } },
      { method: 'GET', path: '/cluster/instances', access: 'admin' },
      { method: 'GET', path: '/cluster/stats', access: 'admin' },
      { method: 'GET', path: '/metrics', access: 'admin', raw: true },
      { method: 'POST', path: '/send', access: 'cluster', body: sendBody(names) },
      { method: 'POST', path: '/joinMember', access: 'cluster', query: { name: group, member: user } },
      { method: 'POST', path: '/removeMember', access: 'cluster', query: { name: group, member: user } },
      {
        method: 'POST',
        path: '/sendGroupChatMessage',
        access: 'cluster',
        body: fc.oneof(
          fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names), oddKey), fc.oneof(message(), oddValue)), { maxLength: 4 }).map(plainObject),
          oddValue,
        ),
      },
      {
        method: 'POST',
        path: '/sendGroupCreateMessage',
        access: 'cluster',
        body: fc.oneof(
          fc.array(
            fc.oneof(
              message({ members: fc.oneof(fc.array(fc.oneof(fc.constantFrom(...names), oddString), { maxLength: 4 }), oddValue) }),
              oddValue,
            ),
            { maxLength: 4 },
          ),
          oddValue,
        ),
      },
      {
        method: 'POST',
        path: '/reBalance/handler',
        access: 'cluster',
        query: { host: segmentOf([server.host, '127.0.0.1:1', 'evil.example:80']), reBalanceNumber: number },
      },
      { method: 'POST', path: '/reBalance', access: 'admin' },
      {
        method: 'POST',
        path: '/user/page',
        access: 'admin',
        query: { current: number, size: number },
        body: fc.record(
          {
            username: mostly(fc.constantFrom(...names, '', '%', '_', 'h')),
            status: mostly(fc.boolean()),
            registerTime: mostly(fc.constantFrom('', '2026-01-01T00:00:00Z')),
            lastLoginTime: mostly(fc.constantFrom('', '2026-01-01T00:00:00Z')),
            passwordErrorNum: mostly(fc.integer({ min: 0, max: 10 })),
            passwordErrorLastTime: mostly(fc.constantFrom('', '2026-01-01T00:00:00Z')),
          },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'PUT',
        path: '/user/setUserStatus/{username}/{status}',
        access: 'admin',
        params: {
          username: segmentOf(['nobody-known', names[1]]),
          status: fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'TRUE', 'yes', 'null'), segmentOf(['true'])),
        },
      },
      { method: 'GET', path: '/user/{username}', access: 'admin', params: { username: user } },
    ];
  }, 120000);

  beforeEach(async () => {
    // A property that killed the server fails alone: the next one gets a new instance.
    server = await fixture.alive(server);
  }, 120000);

  it.each([
    ['GET /port'],
    ['GET /getOnlineUserCount'],
    ['GET /serverAddress'],
    ['GET /health'],
    ['GET /v2/api-docs'],
    ['GET /cluster/instances'],
    ['GET /cluster/stats'],
    ['GET /metrics'],
    ['POST /send'],
    ['POST /joinMember'],
    ['POST /removeMember'],
    ['POST /sendGroupChatMessage'],
    ['POST /sendGroupCreateMessage'],
    ['POST /reBalance/handler'],
    ['POST /reBalance'],
    ['POST /user/page'],
    ['PUT /user/setUserStatus/{username}/{status}'],
    ['GET /user/{username}'],
  ])('%s answers random queries, bodies and credentials with the envelope, never a 500', async (label) => {
    const route = routes.find((r) => `${r.method} ${r.path}` === label)!;
    const runs = route.body || route.params || route.query ? 120 : 40;
    await property(caseFor(route), runs, async (c) => {
      check(c, await request(c));
    });
    await expectAlive();
  });

  it('POST /user/page filters by any username text without an error', async () => {
    const c = fc.tuple(oddText, fc.option(fc.boolean(), { nil: undefined })).map(([username, status]) =>
      labelled<HttpCase>({
        method: 'POST',
        path: '/user/page',
        credentials: ADMIN,
        contentType: 'application/json',
        body: JSON.stringify({ username, status }),
      }),
    );
    await property(c, 100, async (httpCase) => {
      check(httpCase, await request(httpCase));
    });
    await expectAlive();
  });

  it(
    'grants a protected route only to the exact token of its kind: none or a wrong one is 401, ' +
      'the cluster token on an admin route 403',
    async () => {
      // `METHOD path` of each protected route, by the token it takes, in the order the property picks from.
      const byAccess: [Access, string[]][] = [
        ['admin', ['GET /cluster/instances', 'GET /cluster/stats', 'GET /metrics', 'POST /reBalance', 'POST /user/page']],
        ['admin', ['PUT /user/setUserStatus/nobody-known/true', 'GET /user/nobody-known']],
        ['cluster', ['POST /send', 'POST /joinMember?name=nope&member=nobody-known', 'POST /removeMember?name=nope&member=nobody-known']],
        [
          'cluster',
          ['POST /sendGroupChatMessage', 'POST /sendGroupCreateMessage', 'POST /reBalance/handler?host=127.0.0.1:1&reBalanceNumber=1'],
        ],
      ];
      const protectedRoutes: { route: string; method: string; access: Access }[] = byAccess.flatMap(([access, routes]) =>
        routes.map((line) => {
          const [method, route] = line.split(' ');
          return { method, route, access };
        }),
      );
      const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
      const near = (token: string) => [
        token,
        `${token}x`,
        token.slice(0, -1),
        token.toUpperCase(),
        `x${token}`,
        token.slice(1),
        `${token} ${token}`,
        `${token}\t`,
      ];
      const authorization = fc.option(
        fc.oneof(
          fc.constantFrom(
            ...near(ADMIN_TOKEN).flatMap((t) => [
              `Bearer ${t}`,
              `bearer ${t}`,
              `Bearer  ${t}`,
              `Token ${t}`,
              t,
              `Basic ${Buffer.from(`admin:${t}`).toString('base64')}`,
            ]),
          ),
          fc.constantFrom(
            `Bearer ${CLUSTER_TOKEN}`,
            'Bearer ',
            'Bearer',
            'Bearer null',
            'Bearer undefined',
            `Bearer ${ADMIN_TOKEN.slice(0, 8)}`,
          ),
          printable.map((t) => `Bearer ${t}`),
          printable,
        ),
        { nil: undefined },
      );
      const cluster = fc.option(fc.oneof(fc.constantFrom(...near(CLUSTER_TOKEN), ADMIN_TOKEN, '', ' '), printable), { nil: undefined });
      const c = fc
        .tuple(fc.constantFrom(...protectedRoutes), authorization, cluster)
        .map(([route, a, k]) => labelled({ ...route, credentials: { authorization: a, cluster: k } }));
      await property(c, 250, async ({ method, route, access, credentials }) => {
        const body = method === 'GET' ? {} : { contentType: 'application/json', body: route === '/sendGroupCreateMessage' ? '[]' : '{}' };
        const httpCase: HttpCase = { method, path: route, credentials, raw: route === '/metrics', ...body };
        const answer = await request(httpCase);
        const caller = callerOf(credentials);
        const expected = caller === 'anonymous' || caller === 'invalid' ? 401 : caller === 'cluster' && access === 'admin' ? 403 : null;
        const problems = problemsOf(httpCase, answer);
        if (expected !== null && answer.status !== expected)
          problems.push(`HTTP ${answer.status} where ${expected} was due for a ${caller} caller`);
        if (expected === null && (answer.status === 401 || answer.status === 403))
          problems.push(`HTTP ${answer.status} refused a ${caller} caller`);
        check(httpCase, answer, problems);
      });
    },
  );

  it('answers unknown routes and known paths with another method with 404 in the envelope', async () => {
    const known = new RegExp(
      String.raw`^\/(|admin|assets\/[^/]+|port|getOnlineUserCount|serverAddress|health|v2\/api-docs|cluster\/instances|metrics|send|` +
        String.raw`joinMember|removeMember|sendGroupChatMessage|sendGroupCreateMessage|reBalance(\/handler)?|user\/page|` +
        String.raw`user\/setUserStatus\/[^/]+\/[^/]+|user\/[^/]+|swagger-ui.*|doc\.html.*)$`,
    );
    const c = fc
      .tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.array(segmentOf(['user', 'send', 'port', 'reBalance', 'setUserStatus', 'metrics', 'swagger-ui', 'api']), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([method, segments]) => {
        const path = `/${segments.join('/')}`;
        return labelled<HttpCase>({ method, path, credentials: ADMIN, raw: /^\/(metrics|v2\/api-docs|swagger-ui|doc\.html)/.test(path) });
      });
    const wrongMethod = fc.constantFrom<HttpCase>(
      { method: 'DELETE', path: '/port', credentials: {} },
      { method: 'POST', path: '/health', credentials: {} },
      { method: 'GET', path: '/send', credentials: CLUSTER },
      { method: 'PUT', path: '/user/page', credentials: ADMIN },
      { method: 'DELETE', path: '/user/someone', credentials: ADMIN },
      { method: 'GET', path: '/reBalance', credentials: ADMIN },
      { method: 'PATCH', path: '/joinMember', credentials: CLUSTER },
    );
    await property(fc.oneof({ weight: 4, arbitrary: c }, { weight: 1, arbitrary: wrongMethod }), 150, async (httpCase) => {
      const answer = await request(httpCase);
      const pathname = new URL(`http://127.0.0.1${httpCase.path}`).pathname;
      const problems = problemsOf(httpCase, answer);
      const routeExists = known.test(pathname) && !/^(DELETE|PATCH)$/.test(httpCase.method);
      if (!routeExists && answer.status !== 404 && answer.status !== 400)
        problems.push(`HTTP ${answer.status} for a route that does not exist`);
      check(httpCase, answer, problems);
    });
    await expectAlive();
  });

  it('POST /send stores exactly the messages it acknowledges with code 0', async () => {
    // Users of their own: the route-wide property above may have stored messages between the shared ones.
    const [a, b] = [uniqueName('sa'), uniqueName('sb')];
    const setup = await fixture.connect(server);
    for (const name of [a, b]) expect((await setup.register(name, 'secret-pass')).success).toBe(true);
    const stored: string[] = [];
    const storedKeys = new Set<string>();
    const errors: string[] = [];
    const c = fc
      .tuple(focusedSendBody([a, b]), fc.constantFrom<Credentials>(CLUSTER, CLUSTER, CLUSTER, ADMIN, {}))
      .map(([body, credentials]) =>
        labelled<HttpCase>({ method: 'POST', path: '/send', credentials, contentType: 'application/json', body: toWire(body) }),
      );
    await property(c, 150, async (httpCase) => {
      const answer = await request(httpCase);
      const problems = problemsOf(httpCase, answer);
      // Fastify parses the body before the guard runs: a body that is not JSON gets 400 even without credentials.
      const anonymous = httpCase.credentials.authorization === undefined && httpCase.credentials.cluster === undefined;
      if (anonymous && answer.status !== 401 && !(answer.status === 400 && /JSON/.test(String(answer.envelope?.msg))))
        problems.push('a send without credentials was not refused');
      if (answer.status === 500) {
        // Listed, so that what was stored is still compared below.
        errors.push(`${clip(httpCase.body ?? '', 200)} → ${clip(answer.text, 120)}`);
        return;
      }
      check(httpCase, answer, problems);
      if (answer.envelope?.code !== 0) return;
      const body = JSON.parse(httpCase.body!) as Record<string, unknown>;
      const from = String(body.from);
      const key = typeof body.clientMessageId === 'string' ? `${from}\u0000${body.clientMessageId}` : null;
      if (key !== null && storedKeys.has(key)) return;
      if (key !== null) storedKeys.add(key);
      if (![a, b].includes(body.to as string) || ![a, b].includes(from)) throw new Error(`acknowledged ${preview(body)}`);
      stored.push(`${from}: ${String(body.content)}`);
    });
    const reader = await fixture.session(server, b);
    const history = await pagedHistory(reader, { with: a });
    expect(history.map((m) => `${String(m.from)}: ${String(m.content)}`).sort()).toEqual([...stored].sort());
    expect(stored.length).toBeGreaterThan(5);
    await expectAlive();
    expect(errors).toEqual([]);
  });
});
