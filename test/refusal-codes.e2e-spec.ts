import { MessageType, RESERVED_HELLO_TYPES } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { forgeToken, nowSeconds } from './helpers/tokens';
import { WsTestClient, loggedIn, uniqueName } from './helpers/ws-client';

const PASSWORD = 'secret-pass';

/** Every kind of refusal a client can provoke carries its code beside its reason (docs/protocol.md §2). */
describe(`refusal codes (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let server: Instance;
  let limited: Instance;

  const connect = (on = server, query = ''): Promise<WsTestClient> => fixture.connect(on, query);
  const session = async (name: string): Promise<WsTestClient> => fixture.track(await loggedIn(server.wsUrl, name, PASSWORD));

  beforeAll(async () => {
    [server, limited] = await Promise.all([
      fixture.start({ LOCKOUT_MAX_ERRORS: '1', MAX_GROUPS_PER_USER: '1' }),
      fixture.start({ RATE_LIMIT_PER_SEC: '0.1', RATE_LIMIT_BURST: '3', REGISTER_LIMIT_PER_ADDRESS: '1' }),
    ]);
  });

  it('invalid_argument: frames the gateway cannot handle, and bad fields in each kind of request', async () => {
    const client = await connect();
    client.sendRaw('{not json');
    expect(await client.next((f) => f.messageType === MessageType.Error && f.reason === 'Invalid JSON')).toMatchObject({
      success: false,
      code: 'invalid_argument',
    });
    expect(await client.request({ messageType: RESERVED_HELLO_TYPES[0] })).toMatchObject({
      messageType: MessageType.Error,
      code: 'invalid_argument',
      reason: `Unknown messageType: ${RESERVED_HELLO_TYPES[0]}`,
    });
    expect(await client.request({ messageType: MessageType.RegisterRequest, username: 'ab', password: PASSWORD })).toMatchObject({
      messageType: MessageType.RegisterResponse,
      code: 'invalid_argument',
    });
    const alice = await session(uniqueName('arg'));
    expect(await alice.request({ messageType: MessageType.Ack, messageIds: 'all' })).toMatchObject({
      messageType: MessageType.Error,
      success: false,
      code: 'invalid_argument',
    });
    expect(await alice.request({ messageType: MessageType.HistoryRequest, with: 'someone', limit: 0 })).toMatchObject({
      messageType: MessageType.HistoryResponse,
      messages: [],
      code: 'invalid_argument',
    });
    expect(await alice.request({ messageType: MessageType.ChatRequest, to: ['x'], content: 'hi' })).toMatchObject({
      messageType: MessageType.ChatResponse,
      code: 'invalid_argument',
    });
    expect(await alice.request({ messageType: MessageType.LogoutRequest, everywhere: 'yes' })).toMatchObject({
      messageType: MessageType.LogoutResponse,
      code: 'invalid_argument',
    });
  });

  it(`not_logged_in: a request before login, in its response type or in type ${MessageType.Error}`, async () => {
    const client = await connect();
    expect(await client.request({ messageType: MessageType.ChatRequest, to: 'bob', content: 'hi' })).toMatchObject({
      messageType: MessageType.ChatResponse,
      success: false,
      reason: 'Please log in',
      code: 'not_logged_in',
      messageId: null,
    });
    expect(await client.request({ messageType: MessageType.Ack, messageIds: ['1'] })).toMatchObject({
      messageType: MessageType.Error,
      reason: 'Please log in',
      code: 'not_logged_in',
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
    expect(await atConnect.next((f) => f.messageType === MessageType.LoginResponse)).toMatchObject({
      sequenceId: 0,
      success: false,
      reason: 'Invalid token',
      code: 'unauthorized',
    });
    const expired = forgeToken({ sub: 'x', exp: nowSeconds() - 1 });
    expect(await atConnect.request({ messageType: MessageType.LoginRequest, token: expired })).toMatchObject({
      reason: 'Token expired',
      code: 'unauthorized',
    });
  });

  it('not_found, forbidden, conflict and limit_exceeded on chats and groups', async () => {
    const [alice, bob] = [uniqueName('ga'), uniqueName('gb')];
    const aliceClient = await session(alice);
    const bobClient = await session(bob);
    const groupName = uniqueName('team');
    expect(await aliceClient.request({ messageType: MessageType.ChatRequest, to: uniqueName('ghost'), content: 'hi' })).toMatchObject({
      messageType: MessageType.ChatResponse,
      code: 'not_found',
    });
    expect(await aliceClient.request({ messageType: MessageType.GroupMembersRequest, groupName: uniqueName('none') })).toMatchObject({
      messageType: MessageType.GroupMembersResponse,
      code: 'not_found',
    });
    expect(await aliceClient.request({ messageType: MessageType.GroupCreateRequest, groupName })).toMatchObject({ success: true });
    expect(await aliceClient.request({ messageType: MessageType.GroupCreateRequest, groupName: uniqueName('second') })).toMatchObject({
      messageType: MessageType.GroupCreateResponse,
      code: 'limit_exceeded',
    });
    expect(await bobClient.request({ messageType: MessageType.GroupCreateRequest, groupName })).toMatchObject({
      messageType: MessageType.GroupCreateResponse,
      reason: 'Group name is already taken',
      code: 'conflict',
    });
    expect(await bobClient.request({ messageType: MessageType.GroupChatRequest, groupName, content: 'let me in' })).toMatchObject({
      messageType: MessageType.GroupChatResponse,
      code: 'forbidden',
    });
    expect(await bobClient.request({ messageType: MessageType.ChatRequest, to: alice, content: 'hi', from: alice })).toMatchObject({
      messageType: MessageType.ChatResponse,
      code: 'forbidden',
    });
    expect(await bobClient.register(alice, PASSWORD)).toMatchObject({
      messageType: MessageType.RegisterResponse,
      reason: 'Username is already taken',
      code: 'conflict',
    });
    expect(await bobClient.login(alice, PASSWORD)).toMatchObject({ messageType: MessageType.LoginResponse, code: 'conflict' });
  });

  it('rate_limited: a frame past the connection bucket, and a registration past the address limit', async () => {
    const client = await connect(limited);
    expect((await client.register(uniqueName('once'), PASSWORD)).success).toBe(true);
    expect(await client.register(uniqueName('twice'), PASSWORD)).toMatchObject({
      messageType: MessageType.RegisterResponse,
      code: 'rate_limited',
    });
    await client.request({ messageType: MessageType.Ping });
    expect(await client.request({ messageType: MessageType.Ping })).toMatchObject({
      messageType: MessageType.Pong,
      success: false,
      reason: 'Too many requests',
      code: 'rate_limited',
    });
  });
});
