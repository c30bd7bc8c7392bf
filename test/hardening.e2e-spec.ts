import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CloseCode, MessageType } from '../src/protocol';
import { MODE, TestEnvironment } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance, startInstance } from './helpers/instance';
import { Frame, WsTestClient, loggedIn, tokenOf, uniqueName } from './helpers/ws-client';
import { sleep, until } from './helpers/wait';

const PASSWORD = 'secret-pass';
const LOCKED = 'Account is locked after too many wrong passwords; try again later';
const MIB = 1024 * 1024;

type Paused = { pause(): void; resume(): void };
const tcpOf = (client: WsTestClient) => (client.socket as unknown as { _socket: Paused })._socket;

/** What a client would learn from an answer: everything but the echo of its own sequenceId and the time. */
function answerOf(frame: Frame): Record<string, unknown> {
  const { sequenceId: _sequenceId, time: _time, ...rest } = frame;
  return rest;
}

/** The HTTP status of a refused upgrade, or 101 when the connection opened (then it stays open). */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
    });
    socket.once('error', reject);
  });
}

async function openConnections(server: Instance): Promise<number> {
  const metrics = await server.http('GET', '/metrics', { auth: 'admin' });
  return Number(
    metrics.text
      .split('\n')
      .find((l) => l.startsWith('chat_ws_connections'))!
      .split(' ')[1],
  );
}

async function heapUsed(server: Instance): Promise<number> {
  const metrics = await server.http('GET', '/metrics', { auth: 'admin' });
  const line = metrics.text.split('\n').find((l) => l.startsWith('chat_nodejs_heap_size_used_bytes'));
  return Number(line!.split(' ')[1]);
}

describe(`hardening (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  const start = (settings: Record<string, string>): Promise<Instance> => fixture.start(settings);
  const connect = (server: Instance, query = ''): Promise<WsTestClient> => fixture.connect(server, query);

  async function session(server: Instance, name: string, register = true): Promise<WsTestClient> {
    return fixture.track(await loggedIn(server.wsUrl, name, PASSWORD, register));
  }

  describe('1. lockout against parallel guesses', () => {
    let server: Instance;
    beforeAll(async () => {
      server = await start({ LOCKOUT_MAX_ERRORS: '3', LOCKOUT_MINUTES: '10' });
    });

    it(
      '200 parallel guesses on 200 connections judge at most LOCKOUT_MAX_ERRORS + 1, ' + 'and the right one has no answer of its own',
      async () => {
        const name = uniqueName('guess');
        const guessers = await Promise.all(Array.from({ length: 200 }, () => connect(server)));
        expect((await guessers[0].register(name, PASSWORD)).success).toBe(true);
        const right = 137;
        const answers = await Promise.all(
          guessers.map((c, i) =>
            c.request({ messageType: MessageType.LoginRequest, username: name, password: i === right ? PASSWORD : `wrong-${i}` }, 60000),
          ),
        );
        const judged = answers.filter((a) => a.reason !== LOCKED);
        expect(judged.length).toBeLessThanOrEqual(4);
        for (const answer of judged) expect(answer.success === true || answer.reason === 'Wrong password').toBe(true);
        const user = await server.http<{ passwordErrorNum: number }>('GET', `/user/${name}`, { auth: 'admin' });
        expect(user.body.data.passwordErrorNum).toBeLessThanOrEqual(4);
        if (answers[right].success !== true) {
          // Not judged: its answer is the one every other locked-out guess got.
          expect(answerOf(answers[right])).toEqual(answerOf(answers.find((a, i) => i !== right && a.reason === LOCKED)!));
        }
      },
    );

    it('once locked, the right password gets exactly the answer of a wrong one', async () => {
      const name = uniqueName('locked');
      const client = await connect(server);
      await client.register(name, PASSWORD);
      for (let i = 0; i < 4; i++) expect((await client.login(name, 'wrong-pass')).reason).toBe('Wrong password');
      const wrong = await client.login(name, 'wrong-pass');
      const rightOne = await client.login(name, PASSWORD);
      expect(answerOf(rightOne)).toEqual(answerOf(wrong));
      expect(wrong).toMatchObject({ success: false, reason: LOCKED });
    });
  });

  describe('2. pings from a client that does not read', () => {
    let server: Instance;
    beforeAll(async () => {
      server = await start({});
    });

    it('50 MiB of pings without reading: the connection is closed and the heap stays within 48 MiB of where it began', async () => {
      const client = await connect(server);
      const baseline = await heapUsed(server);
      tcpOf(client).pause();
      const payload = Buffer.alloc(125, 0x61);
      let peak = baseline;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await heapUsed(server));
          await sleep(100);
        }
      })();
      let sent = 0;
      while (sent < 50 * MIB && client.socket.readyState === WebSocket.OPEN) {
        for (let i = 0; i < 2000 && client.socket.readyState === WebSocket.OPEN; i++) {
          client.socket.ping(payload);
          sent += payload.length;
        }
        // Lets the socket write what is queued, as a real flood would, and the sampler run.
        await new Promise((resolve) => setImmediate(resolve));
        if (client.socket.bufferedAmount > 8 * MIB) await sleep(10);
      }
      const closed = await Promise.race([client.closed, sleep(20000).then(() => null)]);
      await sleep(500);
      sampling = false;
      await sampler;
      expect(closed).not.toBeNull();
      expect(peak - baseline).toBeLessThan(48 * MIB);
      expect(server.running).toBe(true);
    }, 120000);
  });

  describe('3. live deliveries held during an offline replay', () => {
    let server: Instance;
    beforeAll(async () => {
      server = await start({
        WS_MAX_BUFFERED_BYTES: '65536',
        RATE_LIMIT_PER_SEC: '1000',
        RATE_LIMIT_BURST: '1000',
        WS_IDLE_TIMEOUT_MS: '120000',
        WS_PING_INTERVAL_MS: '60000',
      });
    });

    it(`past the cap the reader is closed with ${CloseCode.TryAgainLater}, and every message is replayed at its next login`, async () => {
      const reader = uniqueName('backlog');
      await session(server, reader).then((c) => c.close());
      const sender = await session(server, uniqueName('busy'));
      const content = 'y'.repeat(19000);
      const send = (i: number) =>
        sender.request({ messageType: MessageType.ChatRequest, to: reader, content, clientMessageId: `m${i}` }, 30000) as Promise<Frame>;
      const stored = await Promise.all(Array.from({ length: 400 }, (_, i) => send(i)));
      expect(stored.every((a) => a.success === true)).toBe(true);

      const connectionsBefore = await openConnections(server);
      const slow = await connect(server);
      slow.send({ messageType: MessageType.LoginRequest, username: reader, password: PASSWORD });
      tcpOf(slow).pause();
      await sleep(1000);
      const live = await Promise.all(Array.from({ length: 300 }, (_, i) => send(400 + i)));
      expect(live.every((a) => a.success === true)).toBe(true);
      // Still not reading: the server lets the connection go rather than holding what it could not send.
      const gone = await until(
        () => openConnections(server),
        (n) => n === connectionsBefore,
        15000,
        'the slow reader closed by the server',
      ).then(
        () => true,
        () => false,
      );
      tcpOf(slow).resume();
      expect(gone).toBe(true);
      expect(await slow.closed).toMatchObject({ code: CloseCode.TryAgainLater });

      const again = await session(server, reader, false);
      const ids = [...stored, ...live].map((a) => a.messageId);
      const replayed = await again.collect((f) => f.messageType === MessageType.ChatResponse && f.offline === true, ids.length, 60000);
      expect(new Set(replayed.map((f) => f.messageId))).toEqual(new Set(ids));
    }, 180000);
  });

  describe('4. connections that never log in, and connection limits', () => {
    let server: Instance;
    beforeAll(async () => {
      server = await start({ LOGIN_TIMEOUT_MS: '1000', MAX_CONNECTIONS: '4', MAX_CONNECTIONS_PER_ADDRESS: '2', TRUST_PROXY: '127.0.0.1' });
    });

    it(
      `a connection that does not log in within LOGIN_TIMEOUT_MS gets a Notice and close ${CloseCode.LoginTimeout}; ` +
        'a logged-in one stays',
      async () => {
        const idle = await connect(server);
        const user = await session(server, uniqueName('in'));
        const closed = await Promise.race([idle.closed, sleep(5000).then(() => null)]);
        expect(closed).toMatchObject({ code: CloseCode.LoginTimeout });
        expect(idle.received.find((f) => f.messageType === MessageType.Notice)).toMatchObject({ sequenceId: 0, reason: closed!.reason });
        expect(user.isOpen).toBe(true);
        expect(await user.request({ messageType: MessageType.Ping })).toMatchObject({ messageType: MessageType.Pong });
      },
    );

    it('refuses the upgrade past MAX_CONNECTIONS_PER_ADDRESS with 429 and past MAX_CONNECTIONS with 503', async () => {
      const opened: WebSocket[] = [];
      try {
        const from = (address: string) => upgrade(server.wsUrl, { 'x-forwarded-for': address });
        const a1 = await from('203.0.113.1');
        const a2 = await from('203.0.113.1');
        expect([a1.status, a2.status]).toEqual([101, 101]);
        opened.push(a1.socket!, a2.socket!);
        expect((await from('203.0.113.1')).status).toBe(429);
        const b1 = await from('203.0.113.2');
        const b2 = await from('203.0.113.2');
        expect([b1.status, b2.status]).toEqual([101, 101]);
        opened.push(b1.socket!, b2.socket!);
        expect((await from('203.0.113.3')).status).toBe(503);
        opened.shift()!.close();
        await sleep(300);
        const c1 = await from('203.0.113.3');
        expect(c1.status).toBe(101);
        opened.push(c1.socket!);
      } finally {
        for (const socket of opened) socket.close();
      }
    });
  });

  describe('6. revocable sessions', () => {
    let server: Instance;
    beforeAll(async () => {
      server = await start({});
    });

    const byToken = async (token: string) => (await connect(server)).request({ messageType: MessageType.LoginRequest, token });

    it('a token issued before a disable stays refused after the user is enabled again', async () => {
      const name = uniqueName('revive');
      const token = tokenOf(await session(server, name));
      expect((await server.http('PUT', `/user/setUserStatus/${name}/false`, { auth: 'admin' })).status).toBe(200);
      expect((await server.http('PUT', `/user/setUserStatus/${name}/true`, { auth: 'admin' })).status).toBe(200);
      expect(await byToken(token)).toMatchObject({ success: false, reason: 'Token revoked: please log in again', token: null });
      expect(tokenOf(await session(server, name, false))).toEqual(expect.any(String));
    });

    it(
      `logout (${MessageType.LogoutRequest}/${MessageType.LogoutResponse}) ends this session and revokes its token; ` +
        'the connection stays open, logged out',
      async () => {
        const name = uniqueName('bye');
        const client = await session(server, name);
        const token = tokenOf(client);
        expect(await client.request({ messageType: MessageType.LogoutRequest })).toMatchObject({
          messageType: MessageType.LogoutResponse,
          success: true,
          reason: null,
        });
        expect(await client.request({ messageType: MessageType.ChatRequest, to: 'anyone-else', content: 'hi' })).toMatchObject({
          success: false,
          reason: 'Please log in',
        });
        expect(await byToken(token)).toMatchObject({ success: false, reason: 'Token revoked: please log in again' });
        expect(await client.login(name, PASSWORD)).toMatchObject({ success: true, username: name });
      },
    );

    it(`logout everywhere closes the other sessions with a Notice and ${CloseCode.Disabled}`, async () => {
      const name = uniqueName('every');
      const phone = await session(server, name);
      const laptop = await session(server, name, false);
      expect(await laptop.request({ messageType: MessageType.LogoutRequest, everywhere: true })).toMatchObject({
        messageType: MessageType.LogoutResponse,
        success: true,
      });
      expect(await phone.closed).toEqual({ code: CloseCode.Disabled, reason: 'Logged out on every device' });
      expect(phone.received.find((f) => f.messageType === MessageType.Notice)).toMatchObject({ reason: 'Logged out on every device' });
      expect(laptop.isOpen).toBe(true);
    });

    it(
      `change password (${MessageType.ChangePasswordRequest}/${MessageType.ChangePasswordResponse}): a new token, ` +
        `the other sessions closed with ${CloseCode.Disabled}, old token and old password refused`,
      async () => {
        const name = uniqueName('newpw');
        const mine = await session(server, name);
        const other = await session(server, name, false);
        const oldToken = tokenOf(mine);
        expect(
          await mine.request({
            messageType: MessageType.ChangePasswordRequest,
            oldPassword: 'not-the-password',
            newPassword: 'brand-new-pass',
          }),
        ).toMatchObject({
          messageType: MessageType.ChangePasswordResponse,
          success: false,
          reason: 'Wrong password',
          token: null,
        });
        const changed = await mine.request({
          messageType: MessageType.ChangePasswordRequest,
          oldPassword: PASSWORD,
          newPassword: 'brand-new-pass',
        });
        expect(changed).toMatchObject({
          messageType: MessageType.ChangePasswordResponse,
          success: true,
          reason: null,
          token: expect.any(String),
        });
        expect(await other.closed).toEqual({ code: CloseCode.Disabled, reason: 'The password was changed: please log in again' });
        expect(mine.isOpen).toBe(true);
        expect(await byToken(oldToken)).toMatchObject({ success: false, reason: 'Token revoked: please log in again' });
        expect(await byToken(changed.token as string)).toMatchObject({ success: true, username: name });
        expect(await (await connect(server)).login(name, PASSWORD)).toMatchObject({ success: false, reason: 'Wrong password' });
        expect(await (await connect(server)).login(name, 'brand-new-pass')).toMatchObject({ success: true });
      },
    );

    it.each([
      [{ messageType: MessageType.LogoutRequest, everywhere: 'yes' }, 28, 'everywhere must be true or false'],
      [{ messageType: MessageType.ChangePasswordRequest, newPassword: 'brand-new-pass' }, 30, 'oldPassword and newPassword are required'],
      [
        { messageType: MessageType.ChangePasswordRequest, oldPassword: PASSWORD, newPassword: 'short' },
        30,
        'Password must be 6 to 72 bytes',
      ],
      [
        { messageType: MessageType.ChangePasswordRequest, oldPassword: PASSWORD, newPassword: PASSWORD },
        30,
        'newPassword must differ from oldPassword',
      ],
    ])('refuses %j', async (frame, type, reason) => {
      const client = await session(server, uniqueName('bad'));
      expect(await client.request(frame)).toMatchObject({ messageType: type, success: false, reason });
      expect(client.isOpen).toBe(true);
    });

    it('answers 27 and 29 before login with "Please log in"', async () => {
      const client = await connect(server);
      expect(await client.request({ messageType: MessageType.LogoutRequest })).toMatchObject({
        messageType: MessageType.LogoutResponse,
        success: false,
        reason: 'Please log in',
      });
      expect(await client.request({ messageType: MessageType.ChangePasswordRequest, oldPassword: 'a', newPassword: 'b' })).toMatchObject({
        messageType: MessageType.ChangePasswordResponse,
        success: false,
        reason: 'Please log in',
        token: null,
      });
    });
  });

  describe('7. groups', () => {
    let server: Instance;
    beforeAll(async () => {
      server = await start({ MAX_GROUPS_PER_USER: '2', GROUP_CREATE_LIMIT_PER_USER: '4' });
    });

    const create = (client: WsTestClient, groupName: string, members: string[] = []) =>
      client.request({ messageType: MessageType.GroupCreateRequest, groupName, members });

    it('MAX_GROUPS_PER_USER bounds memberships: creating and joining past it are refused, a full member is left out', async () => {
      const alice = await session(server, uniqueName('full'));
      const bobName = uniqueName('busy');
      const bob = await session(server, bobName);
      const tag = uniqueName('g');
      expect(await create(bob, `${tag}-b1`)).toMatchObject({ success: true });
      expect(await create(bob, `${tag}-b2`)).toMatchObject({ success: true });
      expect(await create(bob, `${tag}-b3`)).toMatchObject({ success: false, reason: 'You are a member of too many groups (at most 2)' });
      expect(await create(alice, `${tag}-a1`, [bobName])).toMatchObject({
        success: true,
        members: [alice.received.find((f) => f.messageType === MessageType.LoginResponse)!.username],
      });
      expect(await bob.request({ messageType: MessageType.GroupJoinRequest, groupName: `${tag}-a1` })).toMatchObject({
        success: false,
        reason: 'You are a member of too many groups (at most 2)',
      });
      expect(await bob.request({ messageType: MessageType.GroupQuitRequest, groupName: `${tag}-b1` })).toMatchObject({ success: true });
      expect(await bob.request({ messageType: MessageType.GroupJoinRequest, groupName: `${tag}-a1` })).toMatchObject({ success: true });
    });

    it('GROUP_CREATE_LIMIT_PER_USER bounds how many groups one user creates in a window', async () => {
      const carol = await session(server, uniqueName('maker'));
      const tag = uniqueName('r');
      for (let i = 0; i < 4; i++) {
        expect(await create(carol, `${tag}-${i}`)).toMatchObject({ success: true });
        expect(await carol.request({ messageType: MessageType.GroupQuitRequest, groupName: `${tag}-${i}` })).toMatchObject({
          success: true,
        });
      }
      expect(await create(carol, `${tag}-4`)).toMatchObject({
        success: false,
        reason: expect.stringMatching(/^Too many groups created, please try again in \d+ s$/),
      });
    });

    it.each([['\u202Eevil'], ['zero\u200Bwidth'], ['\uFEFFbom'], ['joiner\u2060x']])(
      'refuses a name with a format character: %j',
      async (groupName) => {
        const dave = await session(server, uniqueName('fmt'));
        expect(await create(dave, groupName)).toMatchObject({
          success: false,
          reason: `groupName must be 1 to 64 characters, without control or format characters or any of < > " ' &`,
        });
      },
    );

    it('names are unique regardless of letter case and normal form, and kept in NFC', async () => {
      const erin = await session(server, uniqueName('case'));
      const tag = uniqueName('Cafe');
      expect(await create(erin, `${tag}-caf\u00e9`)).toMatchObject({ success: true, groupName: `${tag}-caf\u00e9` });
      expect(await erin.request({ messageType: MessageType.GroupQuitRequest, groupName: `${tag}-caf\u00e9` })).toMatchObject({
        success: true,
      });
      const nfd = `${tag}-cafe\u0301`;
      expect(await create(erin, nfd)).toMatchObject({ success: true, groupName: `${tag}-caf\u00e9` });
      const frank = await session(server, uniqueName('other'));
      expect(await create(frank, nfd.toUpperCase())).toMatchObject({ success: false, reason: 'Group name is already taken' });
      expect(await create(frank, `${tag}-CAF\u00c9`)).toMatchObject({ success: false, reason: 'Group name is already taken' });
      expect(await frank.request({ messageType: MessageType.GroupJoinRequest, groupName: nfd })).toMatchObject({
        success: true,
        groupName: `${tag}-caf\u00e9`,
      });
    });
  });

  describe('8. HTTP headers, CORS and the Swagger UI', () => {
    let server: Instance;
    let closedUi: Instance;
    beforeAll(async () => {
      server = await start({ CORS_ORIGINS: 'https://chat.example.com' });
      closedUi = await start({ SWAGGER_UI: 'false' });
    });

    const get = (target: Instance, path: string, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${target.port}${path}`, { headers });

    it('every response carries nosniff, a CSP and no framing', async () => {
      for (const path of ['/port', '/health', '/no-such-route', '/v2/api-docs', '/', '/swagger-ui', '/doc.html']) {
        const response = await get(server, path);
        expect([path, response.headers.get('x-content-type-options')]).toEqual([path, 'nosniff']);
        expect([path, response.headers.get('content-security-policy')]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")]);
        expect([path, response.headers.get('x-frame-options')]).toEqual([path, 'DENY']);
      }
      expect((await get(server, '/port')).headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    });

    it('the chat page may connect to its own origin and to the live instances only (no ws: or wss: to any host)', async () => {
      const policy = (await get(server, '/')).headers.get('content-security-policy')!;
      const connect = policy
        .split('; ')
        .find((d) => d.startsWith('connect-src '))!
        .split(' ')
        .slice(1);
      const instances = await server.http<{ host: string; port: number }[]>('GET', '/cluster/instances', { auth: 'admin' });
      // The suite's instances form one cluster in cluster mode; an embedded instance is alone.
      // An instance alone has nowhere to move a page; several list every one, this one included.
      const live = instances.body.data.length > 1 ? instances.body.data.map((i) => `ws://${i.host}`) : [];
      expect(connect[0]).toBe("'self'");
      expect(new Set(connect.slice(1))).toEqual(new Set(live));
      expect(connect).not.toContain('ws:');
      expect(connect).not.toContain('wss:');
    });

    it('CORS answers only the origins CORS_ORIGINS names', async () => {
      const evil = await get(server, '/port', { origin: 'https://evil.example' });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const good = await get(server, '/port', { origin: 'https://chat.example.com' });
      expect(good.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');
      const byDefault = await get(closedUi, '/port', { origin: 'https://chat.example.com' });
      expect(byDefault.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('CORS preflights: 204 with what may be sent for an allowed origin, 403 in the envelope and no CORS header for another', async () => {
      const preflight = (target: Instance, origin: string) =>
        fetch(`http://127.0.0.1:${target.port}/user/page`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
        });
      const corsHeaders = (response: Response) => {
        const found: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          if (name.startsWith('access-control-')) found[name] = value;
        });
        return found;
      };
      const allowed = await preflight(server, 'https://chat.example.com');
      expect(allowed.status).toBe(204);
      expect(await allowed.text()).toBe('');
      expect(corsHeaders(allowed)).toEqual({
        'access-control-allow-origin': 'https://chat.example.com',
        'access-control-allow-methods': 'GET, POST, PUT',
        'access-control-allow-headers': 'Authorization, Content-Type, X-Cluster-Token',
        'access-control-max-age': '600',
      });
      for (const [target, origin] of [
        [server, 'https://evil.example'],
        [closedUi, 'https://chat.example.com'],
      ] as const) {
        const refused = await preflight(target, origin);
        expect(corsHeaders(refused)).toEqual({});
        const refusal = { status: 403, body: { code: 403, data: null, msg: 'Origin not allowed by CORS_ORIGINS' } };
        expect({ status: refused.status, body: await refused.json() }).toMatchObject(refusal);
      }
      const notPreflight = await fetch(`http://127.0.0.1:${server.port}/port`, { method: 'OPTIONS' });
      const notFound = { status: 404, body: { code: 404, msg: 'No such route' } };
      expect({ status: notPreflight.status, body: await notPreflight.json() }).toMatchObject(notFound);
    });

    it('SWAGGER_UI=false turns the UI pages off and keeps the JSON document', async () => {
      expect((await get(server, '/swagger-ui')).status).toBe(200);
      expect((await get(closedUi, '/swagger-ui')).status).toBe(404);
      expect((await get(closedUi, '/doc.html')).status).toBe(404);
      const document = await get(closedUi, '/v2/api-docs');
      expect(document.status).toBe(200);
      expect(((await document.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    });
  });

  describe('9. rate limits', () => {
    let server: Instance;
    let direct: Instance;
    beforeAll(async () => {
      const limits = {
        LOGIN_LIMIT_PER_ADDRESS: '5',
        LOGIN_LIMIT_PER_USERNAME: '3',
        REGISTER_LIMIT_PER_ADDRESS: '3',
        HTTP_LIMIT_PER_ADDRESS: '5',
      };
      server = await start({ ...limits, TRUST_PROXY: '127.0.0.1' });
      direct = await start(limits);
    });

    const from = async (target: Instance, address: string) => {
      const client = fixture.track(await WsTestClient.connect(target.wsUrl, { headers: { 'x-forwarded-for': address } }));
      return client;
    };
    const TOO_MANY = /^Too many attempts, please try again in \d+ s$/;

    it('password logins per address, and per username from any address', async () => {
      const name = await (async () => {
        const n = uniqueName('lim');
        expect((await (await from(server, '198.51.100.1')).register(n, PASSWORD)).success).toBe(true);
        return n;
      })();
      const one = await from(server, '198.51.100.2');
      for (let i = 0; i < 5; i++) expect((await one.login(`nobody-${i}x`, PASSWORD)).reason).toBe('User does not exist');
      expect((await one.login('nobody-6x', PASSWORD)).reason).toMatch(TOO_MANY);
      expect((await (await from(server, '198.51.100.3')).login(name, 'wrong-pass')).reason).toBe('Wrong password');
      expect((await (await from(server, '198.51.100.4')).login(name, 'wrong-pass')).reason).toBe('Wrong password');
      expect((await (await from(server, '198.51.100.5')).login(name, PASSWORD)).success).toBe(true);
      expect((await (await from(server, '198.51.100.6')).login(name.toUpperCase(), PASSWORD)).reason).toMatch(TOO_MANY);
    });

    it('registrations per address', async () => {
      const client = await from(server, '198.51.100.20');
      for (let i = 0; i < 3; i++) expect((await client.register(uniqueName('reg'), PASSWORD)).success).toBe(true);
      expect((await client.register(uniqueName('reg'), PASSWORD)).reason).toMatch(TOO_MANY);
      expect((await (await from(server, '198.51.100.21')).register(uniqueName('reg'), PASSWORD)).success).toBe(true);
    });

    it('HTTP per address: 429 in the envelope with Retry-After; health probes are not counted', async () => {
      const get = (path: string, address: string) =>
        fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { 'x-forwarded-for': address } });
      for (let i = 0; i < 10; i++) expect((await get('/health/live', '198.51.100.30')).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await get('/port', '198.51.100.30')).status).toBe(200);
      const refused = await get('/port', '198.51.100.30');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({
        code: 429,
        data: null,
        isError: true,
        path: '/port',
        msg: expect.stringMatching(/^Too many requests/),
      });
      expect((await get('/port', '198.51.100.31')).status).toBe(200);
    });

    it('without TRUST_PROXY, X-Forwarded-For is not believed: every client of one peer shares its limit', async () => {
      const get = (address: string) => fetch(`http://127.0.0.1:${direct.port}/port`, { headers: { 'x-forwarded-for': address } });
      // (Starting the instance asked it for /cluster/instances from the same peer: fewer than 5 may be left.)
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await get(`203.0.113.${i + 1}`)).status);
      expect(statuses[5]).toBe(429);
      const client = fixture.track(await WsTestClient.connect(direct.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.99' } }));
      for (let i = 0; i < 5; i++) await client.login(`nobody-${i}y`, PASSWORD);
      const other = fixture.track(await WsTestClient.connect(direct.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.100' } }));
      expect((await other.login('nobody-zz', PASSWORD)).reason).toMatch(TOO_MANY);
    });
  });

  describe('10. health', () => {
    let server: Instance;
    beforeAll(async () => {
      server = await start({});
    });

    it('/health/live and /health/ready answer, /health is the ready check', async () => {
      expect(await server.http('GET', '/health/live')).toMatchObject({ status: 200, body: { code: 0, data: { status: 'up' } } });
      const ready = await server.http('GET', '/health/ready');
      expect(ready).toMatchObject({
        status: 200,
        body: { data: { database: 'up', registry: 'up', heartbeat: 'up', draining: false, mode: MODE } },
      });
      expect((await server.http('GET', '/health')).body.data).toEqual(ready.body.data);
    });
  });

  describe('5. embedded data files', () => {
    it('DATA_DIR is tightened to 0700 at start and every file the database writes is 0600', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'chat-perm-'));
      chmodSync(dataDir, 0o755);
      const embedded = new TestEnvironment('embedded');
      const server = await startInstance(embedded.instanceEnv({ DATA_DIR: dataDir }));
      try {
        await session(server, uniqueName('perm')).then((c) => c.close());
        expect(statSync(dataDir).mode & 0o777).toBe(0o700);
        const wide: string[] = [];
        const walk = (dir: string) => {
          for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            const mode = statSync(path).mode & 0o777;
            if (entry.isDirectory()) {
              if (mode & 0o077) wide.push(`${path} ${mode.toString(8)}`);
              walk(path);
            } else if (mode & 0o077) wide.push(`${path} ${mode.toString(8)}`);
          }
        };
        walk(dataDir);
        expect(wide).toEqual([]);
      } finally {
        await server.stop();
        await embedded.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
