import { CloseCode, MessageType, RESERVED_HELLO_TYPES, ReportedCloseCode } from '../src/protocol';
import type { UserDto, UserPageDto as Page } from '../src/users/dto/user.dto';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { forgeToken, nowSeconds } from './helpers/tokens';
import { WsTestClient, loggedIn, tokenOf, uniqueName } from './helpers/ws-client';
import { sleep } from './helpers/wait';

/** A messageType that names no type of the protocol, reserved or not. */
const UNKNOWN_TYPE = 99;

describe(`accounts and connections (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let server: Instance;
  const connect = (query = ''): Promise<WsTestClient> => fixture.connect(server, query);
  const user = (prefix = 'u', password = 'secret-pass') => fixture.user(server, prefix, password);

  beforeAll(async () => {
    server = await fixture.start({
      MAX_SESSIONS_PER_USER: '2',
      LOCKOUT_MAX_ERRORS: '3',
      LOCKOUT_MINUTES: '0.05',
      WS_MAX_FRAME_BYTES: '8192',
      MAX_CONTENT_BYTES: '4000',
      RATE_LIMIT_PER_SEC: '20',
      RATE_LIMIT_BURST: '20',
      WS_PING_INTERVAL_MS: '300',
      WS_IDLE_TIMEOUT_MS: '1500',
      WS_MAX_BUFFERED_BYTES: '65536',
    });
  });

  describe(`register (${MessageType.RegisterRequest}/${MessageType.RegisterResponse})`, () => {
    it('registers a valid user and does not log in', async () => {
      const client = await connect();
      const response = await client.register(uniqueName('reg'), 'secret-pass');
      expect(response).toMatchObject({ messageType: MessageType.RegisterResponse, success: true, reason: null });
      expect(typeof response.time).toBe('string');
      const send = await client.request({ messageType: MessageType.ChatRequest, to: 'someone', content: 'hi' });
      expect(send).toMatchObject({ messageType: MessageType.ChatResponse, success: false, reason: 'Please log in' });
    });

    it.each([
      ['missing username', { password: 'secret-pass' }, 'Username and password are required'],
      ['missing password', { username: 'validname' }, 'Username and password are required'],
      ['username of the wrong type', { username: 12345, password: 'secret-pass' }, 'Username and password are required'],
      ['a short username', { username: 'ab', password: 'secret-pass' }, 'Username must be 3 to 30 characters'],
      ['a long username', { username: 'x'.repeat(31), password: 'secret-pass' }, 'Username must be 3 to 30 characters'],
      [
        'markup in the username',
        { username: '<b>x</b>', password: 'secret-pass' },
        'Username may only contain letters, digits, "_", "-" and "."',
      ],
      [
        'control characters in the username',
        { username: 'bob\u0007x', password: 'secret-pass' },
        'Username may only contain letters, digits, "_", "-" and "."',
      ],
      ['a short password', { username: 'validname2', password: '12345' }, 'Password must be 6 to 72 bytes'],
      ['a password over 72 bytes', { username: 'validname3', password: 'é'.repeat(37) }, 'Password must be 6 to 72 bytes'],
      ['a reserved name', { username: 'Admin', password: 'secret-pass' }, 'This username is reserved'],
      ['another reserved name', { username: 'SYSTEM', password: 'secret-pass' }, 'This username is reserved'],
    ])('refuses %s', async (_case, fields, reason) => {
      const client = await connect();
      const response = await client.request({ messageType: MessageType.RegisterRequest, ...fields });
      expect(response).toMatchObject({ messageType: MessageType.RegisterResponse, success: false, reason });
    });

    it('refuses a taken name, also in another letter case', async () => {
      const client = await connect();
      const name = uniqueName('Taken');
      expect((await client.register(name, 'secret-pass')).success).toBe(true);
      expect(await client.register(name, 'other-pass')).toMatchObject({ success: false, reason: 'Username is already taken' });
      expect(await client.register(name.toLowerCase(), 'other-pass')).toMatchObject({
        success: false,
        reason: 'Username is already taken',
      });
    });

    it('accepts names in any script', async () => {
      const client = await connect();
      const name = `Дмитрий${Date.now().toString().slice(-6)}`;
      expect((await client.register(name, 'secret-pass')).success).toBe(true);
      expect((await client.login(name, 'secret-pass')).username).toBe(name);
    });
  });

  describe(`login (${MessageType.LoginRequest}/${MessageType.LoginResponse})`, () => {
    it('logs in with a password, answers a signed token, and sets lastLoginTime', async () => {
      const name = uniqueName('login');
      const client = await connect();
      await client.register(name, 'secret-pass');
      const before = Date.now();
      const response = await client.login(name, 'secret-pass');
      expect(response).toMatchObject({ messageType: MessageType.LoginResponse, success: true, reason: null, username: name });
      expect(response.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const dto = await server.http<UserDto>('GET', `/user/${encodeURIComponent(name)}`, { auth: 'admin' });
      expect(Date.parse(dto.body.data.lastLoginTime!)).toBeGreaterThanOrEqual(before - 1000);
      expect(await server.http<number>('GET', '/getOnlineUserCount').then((r) => r.body.data)).toBeGreaterThanOrEqual(1);
    });

    it.each([
      ['no username', { password: 'secret-pass' }, 'Username and password are required'],
      ['no password', { username: 'someone' }, 'Username and password are required'],
      ['a username too short', { username: 'ab', password: 'secret-pass' }, 'Username must be 3 to 30 characters'],
      ['a password too short', { username: 'someone', password: '123' }, 'Password must be 6 to 72 bytes'],
      ['an unknown user', { username: 'nobody-at-all', password: 'secret-pass' }, 'User does not exist'],
    ])('refuses %s', async (_case, fields, reason) => {
      const client = await connect();
      const response = await client.request({ messageType: MessageType.LoginRequest, ...fields });
      expect(response).toMatchObject({ messageType: MessageType.LoginResponse, success: false, reason, token: null });
    });

    it('refuses a wrong password and counts it', async () => {
      const name = uniqueName('wrong');
      const client = await connect();
      await client.register(name, 'secret-pass');
      expect(await client.login(name, 'bad-password')).toMatchObject({ success: false, reason: 'Wrong password' });
      const dto = await server.http<UserDto>('GET', `/user/${name}`, { auth: 'admin' });
      expect(dto.body.data.passwordErrorNum).toBe(1);
      expect(dto.body.data.passwordErrorLastTime).not.toBeNull();
      expect((await client.login(name, 'secret-pass')).success).toBe(true);
      const reset = await server.http<UserDto>('GET', `/user/${name}`, { auth: 'admin' });
      expect(reset.body.data.passwordErrorNum).toBe(0);
    });

    it('locks on the 4th wrong password, refuses the right one while locked, and unlocks after the window', async () => {
      const name = uniqueName('lock');
      const client = await connect();
      await client.register(name, 'secret-pass');
      for (let i = 0; i < 3; i++) expect((await client.login(name, 'bad-password')).reason).toBe('Wrong password');
      expect((await client.login(name, 'bad-password')).reason).toBe('Wrong password');
      expect(await client.login(name, 'secret-pass')).toMatchObject({
        success: false,
        reason: 'Account is locked after too many wrong passwords; try again later',
      });
      const locked = await server.http<UserDto>('GET', `/user/${name}`, { auth: 'admin' });
      expect(locked.body.data.passwordErrorNum).toBe(4);
      await sleep(3200);
      expect(await client.login(name, 'secret-pass')).toMatchObject({ success: true });
    });

    it('three wrong passwords do not lock', async () => {
      const name = uniqueName('three');
      const client = await connect();
      await client.register(name, 'secret-pass');
      for (let i = 0; i < 3; i++) await client.login(name, 'bad-password');
      expect((await client.login(name, 'secret-pass')).success).toBe(true);
    });

    it('refuses a disabled account after checking the password', async () => {
      const name = uniqueName('disabled');
      const client = await connect();
      await client.register(name, 'secret-pass');
      await server.http('PUT', `/user/setUserStatus/${name}/false`, { auth: 'admin' });
      expect((await client.login(name, 'bad-password')).reason).toBe('Wrong password');
      expect(await client.login(name, 'secret-pass')).toMatchObject({ success: false, reason: 'Account is disabled' });
    });

    it('refuses to log a connection in as a second user', async () => {
      const { client } = await user('first');
      const other = uniqueName('second');
      await client.register(other, 'secret-pass');
      expect(await client.login(other, 'secret-pass')).toMatchObject({
        success: false,
        reason: 'This connection is already logged in as another user',
      });
    });
  });

  describe('tokens', () => {
    it('logs in with the token in a frame, on another connection', async () => {
      const { name, client } = await user('tok');
      const token = tokenOf(client);
      const second = await connect();
      const response = await second.request({ messageType: MessageType.LoginRequest, token });
      expect(response).toMatchObject({ success: true, username: name });
    });

    it('logs in at connect with ?token=, answering with sequenceId 0 before anything else', async () => {
      const { name, client } = await user('qtok');
      const token = tokenOf(client);
      const second = await connect(`?token=${encodeURIComponent(token)}`);
      const first = await second.next(() => true);
      expect(first).toMatchObject({ messageType: MessageType.LoginResponse, sequenceId: 0, success: true, username: name });
    });

    it.each([
      ['garbage', () => 'not-a-token', 'Invalid token'],
      ['a wrong secret', () => forgeToken({ sub: 'x', exp: nowSeconds() + 60 }, { secret: 'some-other-secret-value' }), 'Invalid token'],
      ['alg none', () => forgeToken({ sub: 'x', exp: nowSeconds() + 60 }, { header: { alg: 'none', typ: 'JWT' } }), 'Invalid token'],
      ['an expired token', () => forgeToken({ sub: 'x', exp: nowSeconds() - 1 }), 'Token expired'],
      [
        'a user who does not exist',
        () => forgeToken({ sub: 'ghost-user-xyz', exp: nowSeconds() + 60 }),
        'The user of this token no longer exists',
      ],
    ])('refuses %s at connect and leaves the connection open, not logged in', async (_case, token, reason) => {
      const client = await connect(`?token=${encodeURIComponent(token())}`);
      expect(await client.next((f) => f.messageType === MessageType.LoginResponse)).toMatchObject({
        sequenceId: 0,
        success: false,
        reason,
      });
      expect(client.isOpen).toBe(true);
      expect(await client.request({ messageType: MessageType.ChatRequest, to: 'someone', content: 'hi' })).toMatchObject({
        success: false,
        reason: 'Please log in',
      });
      expect(await client.request({ messageType: MessageType.LoginRequest, token: token() })).toMatchObject({ success: false, reason });
    });

    it('refuses the token of a disabled user', async () => {
      const { name, client } = await user('tokdis');
      const token = tokenOf(client);
      await server.http('PUT', `/user/setUserStatus/${name}/false`, { auth: 'admin' });
      const second = await connect(`?token=${token}`);
      expect(await second.next((f) => f.messageType === MessageType.LoginResponse)).toMatchObject({
        success: false,
        reason: 'Account is disabled',
      });
    });
  });

  describe('sessions', () => {
    it(`keeps up to MAX_SESSIONS_PER_USER sessions; the oldest beyond gets a Notice and ${CloseCode.Replaced}`, async () => {
      const name = uniqueName('multi');
      const first = fixture.track(await loggedIn(server.wsUrl, name));
      await sleep(5);
      const second = await fixture.session(server, name);
      expect(first.isOpen && second.isOpen).toBe(true);
      const third = await fixture.session(server, name);
      const notice = await first.next((f) => f.messageType === MessageType.Notice);
      expect(notice).toMatchObject({ sequenceId: 0 });
      expect(typeof notice.reason).toBe('string');
      expect((await first.closed).code).toBe(CloseCode.Replaced);
      expect(second.isOpen && third.isOpen).toBe(true);
    });

    it('counts distinct logged-in users in /getOnlineUserCount and unbinds on close', async () => {
      // Connections of earlier tests are closed; wait until the server has let their sessions go.
      const online = async () => (await server.http<number>('GET', '/getOnlineUserCount')).body.data;
      for (let i = 0; i < 50 && (await online()) !== 0; i++) await sleep(50);
      const before = await online();
      expect(before).toBe(0);
      const name = uniqueName('count');
      const a = await loggedIn(server.wsUrl, name);
      const b = await loggedIn(server.wsUrl, name, 'secret-pass', false);
      expect((await server.http<number>('GET', '/getOnlineUserCount')).body.data).toBe(before + 1);
      a.close();
      b.close();
      await Promise.all([a.closed, b.closed]);
      await sleep(100);
      expect((await server.http<number>('GET', '/getOnlineUserCount')).body.data).toBe(before);
    });
  });

  describe('frames and close codes', () => {
    it('answers Ping with Pong echoing requestTime, before login', async () => {
      const client = await connect();
      const pong = await client.request({ messageType: MessageType.Ping, requestTime: 12345 });
      expect(pong).toMatchObject({ messageType: MessageType.Pong, requestTime: 12345 });
    });

    it.each([
      ['invalid JSON', `{"messageType": ${MessageType.Ping}`, 'Invalid JSON'],
      ['a JSON array', '[1,2]', 'A frame must be a JSON object'],
      ['a missing messageType', '{"sequenceId": 4}', 'messageType is required'],
      ['an unknown messageType', `{"messageType": ${UNKNOWN_TYPE}, "sequenceId": 5}`, `Unknown messageType: ${UNKNOWN_TYPE}`],
      [
        'a reserved Hello',
        `{"messageType": ${RESERVED_HELLO_TYPES[0]}, "sequenceId": 6}`,
        `Unknown messageType: ${RESERVED_HELLO_TYPES[0]}`,
      ],
      [
        'a server-only type',
        `{"messageType": ${MessageType.ChatResponse}, "sequenceId": 7}`,
        `Unknown messageType: ${MessageType.ChatResponse}`,
      ],
      [
        'a messageType of the wrong type',
        `{"messageType": "${MessageType.LoginRequest}", "sequenceId": 8}`,
        `Unknown messageType: "${MessageType.LoginRequest}"`,
      ],
      ['a bad sequenceId', `{"messageType": ${MessageType.Ping}, "sequenceId": "x"}`, 'sequenceId must be an integer'],
    ])(`answers %s with type ${MessageType.Error} and stays open`, async (_case, raw, reason) => {
      const client = await connect();
      client.sendRaw(raw);
      const error = await client.next((f) => f.messageType === MessageType.Error);
      expect(error.reason).toBe(reason);
      expect(typeof error.time).toBe('string');
      expect((await client.request({ messageType: MessageType.Ping, requestTime: 1 })).messageType).toBe(MessageType.Pong);
    });

    it('refuses a request of the wrong shape with its response type and stays open', async () => {
      const { client } = await user('shape');
      expect(await client.request({ messageType: MessageType.ChatRequest, to: ['x'], content: 'hi' })).toMatchObject({
        messageType: MessageType.ChatResponse,
        success: false,
        reason: 'to must be a string',
      });
      expect(await client.request({ messageType: MessageType.Ack, messageIds: 'all' })).toMatchObject({
        messageType: MessageType.Error,
        success: false,
      });
      expect(client.isOpen).toBe(true);
    });

    it(`closes with ${CloseCode.Unsupported} on a binary frame`, async () => {
      const client = await connect();
      client.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
      expect((await client.closed).code).toBe(CloseCode.Unsupported);
    });

    it(`closes with ${CloseCode.TooBig} on a frame over WS_MAX_FRAME_BYTES`, async () => {
      const client = await connect();
      client.sendRaw(JSON.stringify({ messageType: MessageType.Ping, pad: 'x'.repeat(9000) }));
      expect((await client.closed).code).toBe(CloseCode.TooBig);
    });

    it(`answers "Too many requests" past the rate limit, and closes a flood with ${CloseCode.Policy}`, async () => {
      const client = await connect();
      for (let i = 0; i < 30; i++) client.send({ messageType: MessageType.Ping, requestTime: i });
      const refused = await client.next((f) => f.messageType === MessageType.Pong && f.reason === 'Too many requests');
      expect(refused.success).toBe(false);
      for (let i = 0; i < 100; i++) {
        if (!client.isOpen) break;
        client.send({ messageType: MessageType.Ping, requestTime: i });
      }
      expect((await client.closed).code).toBe(CloseCode.Policy);
    });

    it('closes a connection that answers no ping past the idle timeout', async () => {
      const client = await connect();
      const socket = (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      await sleep(2500);
      socket.resume();
      const closed = await client.closed;
      expect([CloseCode.GoingAway, ReportedCloseCode.Abnormal]).toContain(closed.code);
    });

    it('keeps a quiet connection that answers pings open past the idle timeout', async () => {
      const client = await connect();
      await sleep(2500);
      expect(client.isOpen).toBe(true);
    });
  });

  describe('/user routes', () => {
    it('refuses every /user route without the admin token, or with the cluster token', async () => {
      for (const [method, path] of [
        ['POST', '/user/page'],
        ['PUT', '/user/setUserStatus/someone/false'],
        ['GET', '/user/someone'],
      ]) {
        expect((await server.http(method, path)).status).toBe(401);
        expect((await server.http(method, path, { auth: { header: 'authorization', value: 'Bearer wrong-token' } })).status).toBe(401);
        expect((await server.http(method, path, { auth: 'cluster' })).status).toBe(403);
      }
    });

    it('GET /user/{username} returns the DTO without the password hash; -10 for an unknown user', async () => {
      const { name } = await user('dto');
      const response = await server.http<UserDto>('GET', `/user/${name}`, { auth: 'admin' });
      expect(Object.keys(response.body.data).sort()).toEqual([
        'lastLoginTime',
        'passwordErrorLastTime',
        'passwordErrorNum',
        'registerTime',
        'status',
        'username',
      ]);
      expect(response.body.data).toMatchObject({ username: name, status: true, passwordErrorNum: 0, passwordErrorLastTime: null });
      expect(response.text).not.toMatch(/argon2|password_hash|passwordHash/);
      const unknown = await server.http('GET', '/user/nobody-known', { auth: 'admin' });
      expect(unknown.status).toBe(200);
      expect(unknown.body).toMatchObject({ code: -10, msg: 'User does not exist', data: null });
    });

    it('POST /user/page pages newest first, filters by name substring and status, and clamps size to 100', async () => {
      const tag = uniqueName('pg').toLowerCase();
      const names: string[] = [];
      const client = await connect();
      for (let i = 0; i < 5; i++) {
        const name = `${tag}_${i}`;
        names.push(name);
        await client.register(name, 'secret-pass');
      }
      await server.http('PUT', `/user/setUserStatus/${names[1]}/false`, { auth: 'admin' });
      const page1 = await server.http<Page>('POST', '/user/page?current=1&size=2', {
        auth: 'admin',
        body: { username: tag.toUpperCase() },
      });
      expect(page1.body.data).toMatchObject({ total: 5, size: 2, current: 1, pages: 3, searchCount: true });
      expect(page1.body.data.records.map((r) => r.username)).toEqual([names[4], names[3]]);
      const page3 = await server.http<Page>('POST', '/user/page?current=3&size=2', { auth: 'admin', body: { username: tag } });
      expect(page3.body.data.records.map((r) => r.username)).toEqual([names[0]]);
      const disabled = await server.http<Page>('POST', '/user/page', { auth: 'admin', body: { username: tag, status: false } });
      expect(disabled.body.data.records.map((r) => r.username)).toEqual([names[1]]);
      const seedShape = await server.http<Page>('POST', '/user/page', {
        auth: 'admin',
        body: {
          username: tag,
          status: true,
          lastLoginTime: '2026-01-01T00:00:00Z',
          passwordErrorNum: 0,
          registerTime: '2026-01-01T00:00:00Z',
          passwordErrorLastTime: '2026-01-01T00:00:00Z',
        },
      });
      expect(seedShape.body.data.total).toBe(4);
      const clamped = await server.http<Page>('POST', '/user/page?size=1000', { auth: 'admin' });
      expect(clamped.body.data.size).toBe(100);
      const bad = await server.http('POST', '/user/page?current=0', { auth: 'admin' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: -9 });
      // The message names the actual problem: 1.5 is not an integer (not "over the maximum").
      for (const [query, message] of [
        ['current=1.5', 'current must be an integer'],
        ['current=2000000', 'current must not be greater than 1000000'],
        ['size=x', 'size must be an integer'],
      ]) {
        const refused = await server.http('POST', `/user/page?${query}`, { auth: 'admin' });
        expect({ query, status: refused.status, body: refused.body }).toMatchObject({
          query,
          status: 400,
          body: { code: -9, msg: message },
        });
      }
    });

    it(`PUT /user/setUserStatus disables with a Notice and ${CloseCode.Disabled} on every connection, and enables again`, async () => {
      const name = uniqueName('kick');
      const a = fixture.track(await loggedIn(server.wsUrl, name));
      const b = await fixture.session(server, name);
      const response = await server.http<boolean>('PUT', `/user/setUserStatus/${name}/false`, { auth: 'admin' });
      expect(response.body).toMatchObject({ code: 0, data: true });
      for (const client of [a, b]) {
        expect(await client.next((f) => f.messageType === MessageType.Notice)).toMatchObject({
          reason: 'Account is disabled',
          sequenceId: 0,
        });
        expect((await client.closed).code).toBe(CloseCode.Disabled);
      }
      expect((await server.http<UserDto>('GET', `/user/${name}`, { auth: 'admin' })).body.data.status).toBe(false);
      await server.http('PUT', `/user/setUserStatus/${name}/true`, { auth: 'admin' });
      const again = await fixture.session(server, name);
      expect(again.isOpen).toBe(true);
    });

    it('PUT /user/setUserStatus refuses an unknown user with -10 and a bad status with -9', async () => {
      expect((await server.http('PUT', '/user/setUserStatus/nobody-here/false', { auth: 'admin' })).body).toMatchObject({
        code: -10,
        msg: 'User does not exist',
      });
      const bad = await server.http('PUT', '/user/setUserStatus/nobody-here/maybe', { auth: 'admin' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: -9 });
    });
  });
});
