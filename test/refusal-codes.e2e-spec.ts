import { MODE, TestEnvironment } from './helpers/environment';
import { Instance, startInstance } from './helpers/instance';
import { forgeToken, nowSeconds } from './helpers/tokens';
import { WsTestClient, loggedIn, uniqueName } from './helpers/ws-client';
import { sleep } from './helpers/wait';

const PASSWORD = 'secret-pass';

/** Every kind of refusal a client can provoke carries its code beside its reason (docs/protocol.md §2). */
describe(`refusal codes (${MODE})`, () => {
  const env = new TestEnvironment();
  const clients: WsTestClient[] = [];
  let server: Instance;
  let limited: Instance;

  async function connect(on = server, query = ''): Promise<WsTestClient> {
    const client = await WsTestClient.connect(on.wsUrl + query);
    clients.push(client);
    return client;
  }

  async function session(name: string): Promise<WsTestClient> {
    const client = await loggedIn(server.wsUrl, name, PASSWORD);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    await env.setup();
    [server, limited] = await Promise.all([
      startInstance(env.instanceEnv({ LOCKOUT_MAX_ERRORS: '1', MAX_GROUPS_PER_USER: '1' })),
      startInstance(env.instanceEnv({ RATE_LIMIT_PER_SEC: '0.1', RATE_LIMIT_BURST: '3', REGISTER_LIMIT_PER_ADDRESS: '1' })),
    ]);
  });

  afterEach(async () => {
    const closing = clients.splice(0);
    for (const client of closing) client.close();
    await Promise.race([Promise.all(closing.map((c) => c.closed)), sleep(3000)]);
  });

  afterAll(async () => {
    await Promise.all([server, limited].map((s) => s?.stop()));
    await env.dispose();
  });

  it('invalid_argument: frames the gateway cannot handle, and bad fields in each kind of request', async () => {
    const client = await connect();
    client.sendRaw('{not json');
    expect(await client.next((f) => f.messageType === 26 && f.reason === 'Invalid JSON')).toMatchObject({
      success: false, code: 'invalid_argument',
    });
    expect(await client.request({ messageType: 3 })).toMatchObject({
      messageType: 26, code: 'invalid_argument', reason: 'Unknown messageType: 3',
    });
    expect(await client.request({ messageType: 19, username: 'ab', password: PASSWORD })).toMatchObject({
      messageType: 20, code: 'invalid_argument',
    });
    const alice = await session(uniqueName('arg'));
    expect(await alice.request({ messageType: 22, messageIds: 'all' })).toMatchObject({
      messageType: 26, success: false, code: 'invalid_argument',
    });
    expect(await alice.request({ messageType: 23, with: 'someone', limit: 0 })).toMatchObject({
      messageType: 24, messages: [], code: 'invalid_argument',
    });
    expect(await alice.request({ messageType: 5, to: ['x'], content: 'hi' })).toMatchObject({ messageType: 6, code: 'invalid_argument' });
    expect(await alice.request({ messageType: 27, everywhere: 'yes' })).toMatchObject({ messageType: 28, code: 'invalid_argument' });
  });

  it('not_logged_in: a request before login, in its response type or in type 26', async () => {
    const client = await connect();
    expect(await client.request({ messageType: 5, to: 'bob', content: 'hi' })).toMatchObject({
      messageType: 6, success: false, reason: 'Please log in', code: 'not_logged_in', messageId: null,
    });
    expect(await client.request({ messageType: 22, messageIds: ['1'] })).toMatchObject({
      messageType: 26, reason: 'Please log in', code: 'not_logged_in',
    });
  });

  it('bad_credentials, account_locked and account_disabled on password logins', async () => {
    const name = uniqueName('cred');
    const client = await connect();
    expect(await client.login(uniqueName('nobody'), PASSWORD)).toMatchObject({ success: false, code: 'bad_credentials', token: null });
    expect((await client.register(name, PASSWORD)).success).toBe(true);
    expect(await client.login(name, 'wrong-one')).toMatchObject({ reason: 'Wrong password', code: 'bad_credentials' });
    expect(await client.login(name, 'wrong-two')).toMatchObject({ reason: 'Wrong password', code: 'bad_credentials' });
    expect(await client.login(name, PASSWORD)).toMatchObject({ success: false, code: 'account_locked' });

    const other = uniqueName('off');
    expect((await client.register(other, PASSWORD)).success).toBe(true);
    await server.http('PUT', `/user/setUserStatus/${other}/false`, { auth: 'admin' });
    expect(await client.login(other, PASSWORD)).toMatchObject({ reason: 'Account is disabled', code: 'account_disabled' });
  });

  it('unauthorized: refused tokens, at connect and in a LoginRequest', async () => {
    const forged = forgeToken({ sub: 'x', exp: nowSeconds() + 60 }, { secret: 'some-other-secret-value' });
    const atConnect = await connect(server, `?token=${encodeURIComponent(forged)}`);
    expect(await atConnect.next((f) => f.messageType === 18)).toMatchObject({
      sequenceId: 0, success: false, reason: 'Invalid token', code: 'unauthorized',
    });
    const expired = forgeToken({ sub: 'x', exp: nowSeconds() - 1 });
    expect(await atConnect.request({ messageType: 17, token: expired })).toMatchObject({ reason: 'Token expired', code: 'unauthorized' });
  });

  it('not_found, forbidden, conflict and limit_exceeded on chats and groups', async () => {
    const [alice, bob] = [uniqueName('ga'), uniqueName('gb')];
    const aliceClient = await session(alice);
    const bobClient = await session(bob);
    const groupName = uniqueName('team');
    expect(await aliceClient.request({ messageType: 5, to: uniqueName('ghost'), content: 'hi' })).toMatchObject({
      messageType: 6, code: 'not_found',
    });
    expect(await aliceClient.request({ messageType: 13, groupName: uniqueName('none') })).toMatchObject({
      messageType: 14, code: 'not_found',
    });
    expect(await aliceClient.request({ messageType: 9, groupName })).toMatchObject({ success: true });
    expect(await aliceClient.request({ messageType: 9, groupName: uniqueName('second') })).toMatchObject({
      messageType: 10, code: 'limit_exceeded',
    });
    expect(await bobClient.request({ messageType: 9, groupName })).toMatchObject({
      messageType: 10, reason: 'Group name is already taken', code: 'conflict',
    });
    expect(await bobClient.request({ messageType: 7, groupName, content: 'let me in' })).toMatchObject({
      messageType: 8, code: 'forbidden',
    });
    expect(await bobClient.request({ messageType: 5, to: alice, content: 'hi', from: alice })).toMatchObject({
      messageType: 6, code: 'forbidden',
    });
    expect(await bobClient.register(alice, PASSWORD)).toMatchObject({
      messageType: 20, reason: 'Username is already taken', code: 'conflict',
    });
    expect(await bobClient.login(alice, PASSWORD)).toMatchObject({ messageType: 18, code: 'conflict' });
  });

  it('rate_limited: a frame past the connection bucket, and a registration past the address limit', async () => {
    const client = await connect(limited);
    expect((await client.register(uniqueName('once'), PASSWORD)).success).toBe(true);
    expect(await client.register(uniqueName('twice'), PASSWORD)).toMatchObject({ messageType: 20, code: 'rate_limited' });
    await client.request({ messageType: 1 });
    expect(await client.request({ messageType: 1 })).toMatchObject({
      messageType: 2, success: false, reason: 'Too many requests', code: 'rate_limited',
    });
  });
});
