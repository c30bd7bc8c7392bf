import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODE, TestEnvironment } from './helpers/environment';
import { startService } from './helpers/in-process';

/**
 * The HTTP surface of one instance: the envelope on every path, access, docs, health, metrics. In
 * cluster mode the application is built in this process (helpers/in-process.ts).
 */
describe(`HTTP foundation (${MODE})`, () => {
  const env = new TestEnvironment();
  let server: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    await env.setup();
    server = await startService(env.instanceEnv());
  });

  afterAll(async () => {
    await server?.stop();
    await env.dispose();
  });

  function expectEnvelope(body: Record<string, unknown>, code: number, path: string): void {
    expect(Object.keys(body).sort()).toEqual(['code', 'data', 'extra', 'isError', 'isSuccess', 'msg', 'path', 'timestamp']);
    expect(body.code).toBe(code);
    expect(body.path).toBe(path);
    expect(body.isSuccess).toBe(code === 0 || code === 200);
    expect(body.isError).toBe(!(code === 0 || code === 200));
    expect(typeof body.timestamp).toBe('number');
    expect(Math.abs(Date.now() - (body.timestamp as number))).toBeLessThan(60000);
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.js:\d+/);
  }

  it('GET /port answers the port the instance listens on', async () => {
    const response = await server.http<number>('GET', '/port');
    expect(response.status).toBe(200);
    expectEnvelope(response.body as never, 0, '/port');
    expect(response.body.data).toBe(server.port);
  });

  it('GET /getOnlineUserCount is 0 with nobody logged in', async () => {
    const response = await server.http<number>('GET', '/getOnlineUserCount');
    expectEnvelope(response.body as never, 0, '/getOnlineUserCount');
    expect(response.body.data).toBe(0);
  });

  it('GET /serverAddress names a live instance', async () => {
    const response = await server.http<{ ip: string; port: number; url: string }>('GET', '/serverAddress');
    // Without PUBLIC_URL, the URL is built from PUBLIC_HOST and the port the server got.
    expect(response.body.data).toEqual({ ip: '127.0.0.1', port: server.port, url: server.wsUrl });
  });

  it('GET /health reports the database, the registry and the heartbeats up, not draining', async () => {
    const response = await server.http<{ database: string; registry: string; mode: string }>('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ database: 'up', registry: 'up', heartbeat: 'up', draining: false, mode: MODE });
  });

  it('an unknown route is 404 in the envelope, with the path but not the query', async () => {
    const response = await server.http('GET', '/no/such/route?x=1');
    expect(response.status).toBe(404);
    expectEnvelope(response.body as never, 404, '/no/such/route');
  });

  it('a known path with the wrong method is 404', async () => {
    const response = await server.http('DELETE', '/port');
    expect(response.status).toBe(404);
    expectEnvelope(response.body as never, 404, '/port');
  });

  it('admin routes refuse a missing or wrong token with 401 and the cluster token with 403', async () => {
    const none = await server.http('GET', '/cluster/instances');
    expect(none.status).toBe(401);
    expectEnvelope(none.body as never, 401, '/cluster/instances');
    const wrong = await server.http('GET', '/cluster/instances', { auth: { header: 'authorization', value: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const cluster = await server.http('GET', '/cluster/instances', { auth: 'cluster' });
    expect(cluster.status).toBe(403);
    expectEnvelope(cluster.body as never, 403, '/cluster/instances');
  });

  it('GET /cluster/instances lists this instance with the admin token', async () => {
    const response = await server.http<
      { id: string; host: string; ip: string; port: number; users: number; connections: number; startedAt: string }[]
    >('GET', '/cluster/instances', { auth: 'admin' });
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(1);
    const [self] = response.body.data;
    expect(self.host).toBe(`127.0.0.1:${server.port}`);
    expect(self.port).toBe(server.port);
    expect(self.connections).toBe(0);
    expect(Number.isNaN(Date.parse(self.startedAt))).toBe(false);
  });

  it('cluster routes take the cluster token or the admin bearer, and refuse others with 401', async () => {
    const body = { from: 'nobody-here', to: 'nobody-there', content: 'hi' };
    expect((await server.http('POST', '/send', { body })).status).toBe(401);
    expect((await server.http('POST', '/send', { body, auth: { header: 'x-cluster-token', value: 'wrong' } })).status).toBe(401);
    const cluster = await server.http('POST', '/send', { body, auth: 'cluster' });
    expect(cluster.status).toBe(200);
    expectEnvelope(cluster.body as never, -10, '/send');
    const admin = await server.http('POST', '/send', { body, auth: 'admin' });
    expect(admin.body.code).toBe(-10);
  });

  it('a body that is not JSON is 400 with code -9', async () => {
    const response = await server.http('POST', '/send', { rawBody: '{"from": ', auth: 'cluster' });
    expect(response.status).toBe(400);
    expectEnvelope(response.body as never, -9, '/send');
  });

  it('a failed validation is 400 with code -9 naming the field', async () => {
    const missing = await server.http('POST', '/send', { body: { from: 'a', content: 'x' }, auth: 'cluster' });
    expect(missing.status).toBe(400);
    expectEnvelope(missing.body as never, -9, '/send');
    expect(missing.body.msg).toMatch(/^to/);
    const extra = await server.http('POST', '/send', { body: { from: 'a', to: 'b', content: 'x', admin: true }, auth: 'cluster' });
    expect(extra.status).toBe(400);
    expect(extra.body.msg).toMatch(/admin/);
  });

  it('an oversized body is 400 with code -9', async () => {
    const response = await server.http('POST', '/send', {
      rawBody: JSON.stringify({ content: 'x'.repeat(2 * 1024 * 1024) }),
      auth: 'cluster',
    });
    expect(response.status).toBe(400);
    expectEnvelope(response.body as never, -9, '/send');
  });

  it('serves the OpenAPI document at /v2/api-docs, also with ?group=, with the envelope typed per route', async () => {
    for (const path of ['/v2/api-docs', '/v2/api-docs?group=%E6%9C%8D%E5%8A%A1']) {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as {
        openapi: string;
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
        components: { schemas: Record<string, unknown> };
      };
      expect(document.openapi).toMatch(/^3\./);
      for (const route of [
        '/getOnlineUserCount',
        '/port',
        '/serverAddress',
        '/cluster/instances',
        '/health',
        '/send',
        '/user/page',
        '/user/{username}',
        '/user/setUserStatus/{username}/{status}',
      ]) {
        expect(Object.keys(document.paths)).toContain(route);
      }
      expect(document.components.schemas.R).toBeDefined();
      expect(JSON.stringify(document.paths['/port'].get.responses['200'])).toContain('#/components/schemas/R');
    }
  });

  it('the document states every status, integer types, parameter limits, security, servers, licence and version', async () => {
    type Schema = Record<string, unknown>;
    type Parameter = { name: string; required?: boolean; schema: Schema };
    type Operation = { responses: Record<string, Schema>; security?: Record<string, string[]>[]; parameters?: Parameter[] };
    const document = (await (await fetch(`http://127.0.0.1:${server.port}/v2/api-docs`)).json()) as {
      info: { version: string; license?: { name: string } };
      servers: { url: string }[];
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, { properties: Record<string, Schema>; additionalProperties?: boolean }> };
    };
    const version = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
    expect(document.info).toMatchObject({ version, license: { name: 'MIT' } });
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);

    const securityOf = (operation: Operation) => (operation.security ?? []).map((entry) => Object.keys(entry)[0]).sort();
    const securityAt = (path: string) => ({ path, security: securityOf(Object.values(document.paths[path])[0]) });
    const admin = ['/cluster/instances', '/reBalance', '/metrics', '/user/page', '/user/{username}'];
    admin.push('/user/setUserStatus/{username}/{status}');
    const cluster = ['/send', '/joinMember', '/removeMember', '/sendGroupChatMessage', '/sendGroupCreateMessage', '/reBalance/handler'];
    for (const path of admin) expect(securityAt(path)).toEqual({ path, security: ['admin'] });
    for (const path of cluster) expect(securityAt(path)).toEqual({ path, security: ['admin', 'cluster'] });
    for (const path of ['/port', '/getOnlineUserCount', '/serverAddress', '/health', '/health/live']) {
      expect(securityAt(path)).toEqual({ path, security: [] });
    }
    // Every route, those added later too: the shared errors, and 401 (and 403 on admin-only routes) where a token is needed.
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const route = `${method} ${path}`;
        const statuses = Object.keys(operation.responses).sort();
        const security = securityOf(operation);
        const expected = ['200', '400', '500', ...(path.startsWith('/health') ? [] : ['429'])];
        if (security.length > 0) expected.push('401');
        if (security.length === 1 && security[0] === 'admin') expected.push('403');
        if (path === '/health' || path === '/health/ready') expected.push('503');
        expect({ route, statuses }).toEqual({ route, statuses: expected.sort() });
        for (const { name, schema } of operation.parameters ?? []) {
          expect({ route, name, typed: typeof schema.type === 'string' }).toEqual({ route, name, typed: true });
        }
      }
    }

    const parameter = (path: string, name: string) => Object.values(document.paths[path])[0].parameters!.find((p) => p.name === name);
    expect(parameter('/joinMember', 'name')).toMatchObject({ required: true, schema: { type: 'string', minLength: 1, maxLength: 64 } });
    expect(parameter('/joinMember', 'member')).toMatchObject({ required: true, schema: { type: 'string', minLength: 1, maxLength: 30 } });
    const count = { required: true, schema: { type: 'integer', minimum: 1, maximum: 999999999 } };
    expect(parameter('/reBalance/handler', 'reBalanceNumber')).toMatchObject(count);
    expect(parameter('/user/page', 'current')).toMatchObject({ schema: { type: 'integer', minimum: 1, maximum: 1000000 } });
    const integers = [
      ['R', 'code'],
      ['R', 'timestamp'],
      ['InstanceDto', 'port'],
      ['UserPageDto', 'total'],
    ];
    integers.push(['UserDto', 'passwordErrorNum']);
    for (const [model, field] of integers) {
      expect({ model, field, type: document.components.schemas[model].properties[field].type }).toEqual({ model, field, type: 'integer' });
    }
    expect(document.components.schemas.UserDto.additionalProperties).toBe(false);
    // A route that refuses with -10 says so, with data nullable; one that cannot, does not.
    expect(JSON.stringify(document.paths['/user/{username}'].get.responses['200'])).toMatch(/"enum":\[0,-10\].*"nullable":true/);
    expect(JSON.stringify(document.paths['/port'].get.responses['200'])).not.toContain('nullable');
  });

  it('checks the token before reading the body: 401 or 403 whatever the body, then 400 for a malformed one', async () => {
    for (const rawBody of ['{bad', '[]', 'x'.repeat(2 * 1024 * 1024)]) {
      const length = rawBody.length;
      const anonymous = await server.http('POST', '/send', { rawBody });
      expect({ length, status: anonymous.status, code: anonymous.body.code }).toEqual({ length, status: 401, code: 401 });
      const wrongKind = await server.http('POST', '/user/page', { rawBody, auth: 'cluster' });
      expect({ length, status: wrongKind.status, code: wrongKind.body.code }).toEqual({ length, status: 403, code: 403 });
    }
    expect((await server.http('POST', '/send', { rawBody: '{bad', contentType: 'text/xml' })).status).toBe(401);
    const parsed = await server.http('POST', '/send', { rawBody: '{bad', auth: 'cluster' });
    expect(parsed.status).toBe(400);
    expectEnvelope(parsed.body as never, -9, '/send');
  });

  it('query validation names the actual problem of each parameter', async () => {
    for (const [route, message] of [
      ['/joinMember', 'name is required'],
      ['/joinMember?name=g', 'member is required'],
      ['/joinMember?name=g&member=', 'member is required'],
      ['/removeMember?name=g&member=b&extra=1', 'extra is not a known field'],
      [`/removeMember?name=g&member=${'b'.repeat(31)}`, 'member must be shorter than or equal to 30 characters'],
      ['/reBalance/handler?reBalanceNumber=1', 'host is required'],
      ['/reBalance/handler?host=h', 'reBalanceNumber is required'],
      ['/reBalance/handler?host=h&reBalanceNumber=1.5', 'reBalanceNumber must be an integer'],
      ['/reBalance/handler?host=h&reBalanceNumber=0', 'reBalanceNumber must not be less than 1'],
      ['/reBalance/handler?host=h&reBalanceNumber=1000000000', 'reBalanceNumber must not be greater than 999999999'],
    ]) {
      const refused = await server.http('POST', route, { auth: 'cluster' });
      const { status, body } = refused;
      expect({ route, status, code: body.code, msg: body.msg }).toEqual({ route, status: 400, code: -9, msg: message });
    }
  });

  it('a malformed URL is 400 naming the problem: a bad percent-encoding, a path segment over 100 characters', async () => {
    for (const [path, msg] of [
      ['/user/%zz', 'Malformed URL: a bad percent-encoding'],
      [`/user/${'a'.repeat(101)}`, 'A path parameter is longer than 100 characters'],
    ]) {
      const refused = await server.http('GET', path, { auth: 'admin' });
      expect({ path, status: refused.status, code: refused.body.code, msg: refused.body.msg }).toEqual({
        path,
        status: 400,
        code: -9,
        msg,
      });
    }
  });

  it('serves the Swagger UI at /swagger-ui and /doc.html', async () => {
    for (const path of ['/swagger-ui', '/doc.html']) {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/swagger/i);
    }
  });

  it('GET /metrics is Prometheus text for the admin, and refused without the token', async () => {
    const refused = await server.http('GET', '/metrics');
    expect(refused.status).toBe(401);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, {
      headers: { authorization: `Bearer ${'test-admin-token-0123456789'}` },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('chat_process_cpu_user_seconds_total');
    expect(text).toContain('chat_http_request_duration_seconds_bucket');
    expect(text).toContain('chat_sessions');
  });
});
