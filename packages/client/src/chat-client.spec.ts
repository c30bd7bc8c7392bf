import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { CloseCode, MessageType, PresenceEntry, RESPONSE_TYPE } from '../../../src/protocol';
import { ChatClient, ChatClientOptions, ConversationsPage } from './chat-client';
import { ClientState, MessageChangedEvent, ReadReceiptEvent, TypingEvent } from './events';
import { ChatMessage } from './inbox';
import { RequestError } from './requests';

type Frame = { messageType: number; sequenceId: number } & Record<string, unknown>;

interface Connection {
  socket: WebSocket;
  frames: Frame[];
  username?: string;
  closeCode?: number;
}

/** Replies to one client frame; return false to fall back to the default script. */
type Script = (frame: Frame, connection: Connection, server: ScriptedServer) => boolean | void;

const TIME = '2024-05-01T12:00:00.000+00:00';

/** A WebSocket server that plays the chat server from a script, recording every frame. */
class ScriptedServer {
  readonly connections: Connection[] = [];
  script: Script = () => false;
  /** Who is online, as PresenceRequest answers it; anyone else is offline, last seen at TIME. */
  readonly online = new Set<string>();
  private nextMessageId = 1000;
  /** clientMessageId → messageId, as the real server dedups resent chat sends. */
  private readonly stored = new Map<string, string>();

  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (socket) => {
      const connection: Connection = { socket, frames: [] };
      this.connections.push(connection);
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        connection.frames.push(frame);
        if (this.script(frame, connection, this) === false) this.defaultScript(frame, connection);
      });
      socket.on('close', (code) => {
        connection.closeCode = code;
      });
    });
  }

  static async start(): Promise<ScriptedServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new ScriptedServer(wss);
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  send(connection: Connection, frame: Record<string, unknown>): void {
    connection.socket.send(JSON.stringify({ time: TIME, ...frame }));
  }

  storeMessage(clientMessageId: string): string {
    let messageId = this.stored.get(clientMessageId);
    if (!messageId) {
      messageId = String(this.nextMessageId++);
      this.stored.set(clientMessageId, messageId);
    }
    return messageId;
  }

  defaultScript(frame: Frame, connection: Connection): void {
    const reply = (fields: Record<string, unknown>): void =>
      this.send(connection, { messageType: RESPONSE_TYPE[frame.messageType], sequenceId: frame.sequenceId, ...fields });
    switch (frame.messageType) {
      case MessageType.Ping:
        return reply({ requestTime: frame.requestTime });
      case MessageType.ChatRequest:
        return reply({
          success: true,
          reason: null,
          from: connection.username,
          to: frame.to,
          content: null,
          messageId: this.storeMessage(String(frame.clientMessageId)),
          delivered: true,
          offline: false,
        });
      case MessageType.GroupChatRequest:
        return reply({
          success: true,
          reason: null,
          from: connection.username,
          groupName: frame.groupName,
          content: frame.content,
          messageId: this.storeMessage(String(frame.clientMessageId)),
          offline: false,
        });
      case MessageType.GroupMembersRequest:
        return reply({ success: true, reason: null, groupName: frame.groupName, members: ['alice', 'bob'] });
      case MessageType.LoginRequest: {
        const username = typeof frame.token === 'string' ? frame.token.replace(/^token-/, '') : String(frame.username);
        if (frame.password === 'wrong') {
          return reply({ success: false, reason: 'Wrong password', code: 'bad_credentials', username: null, token: null });
        }
        connection.username = username;
        return reply({ success: true, reason: null, username, token: `token-${username}` });
      }
      case MessageType.RegisterRequest:
        return reply({ success: true, reason: null });
      case MessageType.PresenceRequest: {
        const usernames = frame.usernames as string[];
        const presence = usernames.map((username) =>
          this.online.has(username) ? { username, online: true, lastSeen: null } : { username, online: false, lastSeen: TIME },
        );
        return reply({ success: true, reason: null, presence });
      }
    }
  }

  framesOf(connection: Connection, messageType: number): Frame[] {
    return connection.frames.filter((frame) => frame.messageType === messageType);
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${probe.toString()}`);
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function delivery(messageId: string, sequenceId = 7): Record<string, unknown> {
  return {
    messageType: MessageType.ChatResponse,
    sequenceId,
    success: true,
    reason: null,
    from: 'bob',
    to: 'alice',
    content: `hello ${messageId}`,
    messageId,
    delivered: true,
    offline: false,
  };
}

describe('ChatClient', () => {
  const servers: ScriptedServer[] = [];
  const clients: ChatClient[] = [];

  async function startServer(): Promise<ScriptedServer> {
    const server = await ScriptedServer.start();
    servers.push(server);
    return server;
  }

  function newClient(options: ChatClientOptions = {}): ChatClient {
    const client = new ChatClient({
      WebSocketImpl: WebSocket,
      requestTimeoutMs: 2000,
      backoff: { baseMs: 20, capMs: 100 },
      ...options,
    });
    clients.push(client);
    return client;
  }

  async function loggedIn(server: ScriptedServer, options?: ChatClientOptions): Promise<ChatClient> {
    const client = newClient(options);
    await client.connect(server.url);
    await client.login('alice', 'secret');
    return client;
  }

  function collect<T>(subscribe: (push: (value: T) => void) => void): T[] {
    const values: T[] = [];
    subscribe((value) => values.push(value));
    return values;
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('connects with the ws package by default in Node and logs in', async () => {
    const server = await startServer();
    const client = new ChatClient();
    clients.push(client);
    const states = collect<ClientState>((push) => client.on('state', push));

    await client.connect(server.url);
    const result = await client.login('alice', 'secret');

    expect(result).toEqual({ username: 'alice', token: 'token-alice' });
    expect(client.username).toBe('alice');
    expect(client.token).toBe('token-alice');
    expect(client.url).toBe(server.url);
    expect(client.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
    expect(server.connections[0].frames[0]).toEqual({
      messageType: MessageType.LoginRequest,
      sequenceId: 1,
      username: 'alice',
      password: 'secret',
    });
  });

  it('matches responses to requests by sequenceId, whatever their order', async () => {
    const server = await startServer();
    const held: Frame[] = [];
    server.script = (frame) => {
      if (frame.messageType !== MessageType.GroupCreateRequest && frame.messageType !== MessageType.GroupMembersRequest) return false;
      held.push(frame);
    };
    const client = await loggedIn(server);

    const created = client.createGroup('team', ['bob']);
    const members = client.groupMembers('other');
    await waitFor(() => held.length === 2);
    const [create, list] = held;
    expect(create).toEqual({ messageType: MessageType.GroupCreateRequest, sequenceId: 2, groupName: 'team', members: ['bob'] });
    expect(list).toEqual({ messageType: MessageType.GroupMembersRequest, sequenceId: 3, groupName: 'other' });

    const connection = server.connections[0];
    const added = collect<{ groupName: string }>((push) => client.on('groupAdded', push));
    // A push of another type that happens to carry a pending sequenceId answers nothing.
    server.send(connection, {
      messageType: MessageType.GroupCreateResponse,
      sequenceId: list.sequenceId,
      success: true,
      reason: null,
      groupName: 'pushed',
      members: ['alice'],
    });
    await waitFor(() => added.length === 1);
    server.send(connection, {
      messageType: MessageType.GroupMembersResponse,
      sequenceId: list.sequenceId,
      success: true,
      reason: null,
      groupName: 'other',
      members: ['carol'],
    });
    server.send(connection, {
      messageType: MessageType.GroupCreateResponse,
      sequenceId: create.sequenceId,
      success: true,
      reason: null,
      groupName: 'team',
      members: ['alice', 'bob'],
    });

    await expect(members).resolves.toEqual(['carol']);
    await expect(created).resolves.toEqual({ groupName: 'team', members: ['alice', 'bob'] });
  });

  it('rejects a request answered with success:false, carrying the reason', async () => {
    const server = await startServer();
    const client = newClient();
    await client.connect(server.url);

    const error = await client.login('alice', 'wrong').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({
      reason: 'Wrong password',
      message: 'Wrong password',
      code: 'bad_credentials',
      messageType: MessageType.LoginResponse,
    });
    expect((error as RequestError).refused).toBe(true);
    expect(client.token).toBeUndefined();
  });

  it('gives a refusal from a server without codes the code internal', async () => {
    const server = await startServer();
    server.script = (frame, connection) => {
      if (frame.messageType !== MessageType.RegisterRequest) return false;
      server.send(connection, {
        messageType: MessageType.RegisterResponse,
        sequenceId: frame.sequenceId,
        success: false,
        reason: 'Username is already taken',
      });
    };
    const client = newClient();
    await client.connect(server.url);

    await expect(client.register('alice', 'secret')).rejects.toMatchObject({ reason: 'Username is already taken', code: 'internal' });
  });

  it('logs out with a LogoutRequest, forgetting its token; changes the password (ChangePasswordRequest), takes the new token', async () => {
    const server = await startServer();
    server.script = (frame, connection) => {
      if (frame.messageType === MessageType.LogoutRequest)
        server.send(connection, { messageType: MessageType.LogoutResponse, sequenceId: frame.sequenceId, success: true, reason: null });
      else if (frame.messageType === MessageType.ChangePasswordRequest)
        server.send(connection, {
          messageType: MessageType.ChangePasswordResponse,
          sequenceId: frame.sequenceId,
          success: true,
          reason: null,
          token: 'token-new',
        });
      else return false;
    };
    const client = await loggedIn(server);

    await expect(client.changePassword('secret', 'new-secret')).resolves.toBe('token-new');
    expect(client.token).toBe('token-new');
    await client.logout(true);
    expect(client.token).toBeUndefined();
    expect(client.username).toBeUndefined();
    expect(server.connections[0].frames.slice(1)).toEqual([
      { messageType: MessageType.ChangePasswordRequest, sequenceId: 2, oldPassword: 'secret', newPassword: 'new-secret' },
      { messageType: MessageType.LogoutRequest, sequenceId: 3, everywhere: true },
    ]);
  });

  it('rejects a request that an Error frame answers, and one that times out', async () => {
    const server = await startServer();
    server.script = (frame, connection) => {
      if (frame.messageType === MessageType.GroupJoinRequest) {
        const refusal = { success: false, reason: 'Unknown message type', code: 'invalid_argument' };
        server.send(connection, { messageType: MessageType.Error, sequenceId: frame.sequenceId, ...refusal });
        return;
      }
      if (frame.messageType !== MessageType.GroupQuitRequest) return false;
    };
    const client = await loggedIn(server, { requestTimeoutMs: 150 });

    const refused = { reason: 'Unknown message type', code: 'invalid_argument', messageType: MessageType.Error };
    await expect(client.joinGroup('team')).rejects.toMatchObject(refused);
    const timedOut = client.quitGroup('team');
    await expect(timedOut).rejects.toThrow(/timed out after 150 ms/);
    await expect(timedOut).rejects.toMatchObject({ code: 'timeout', messageType: MessageType.GroupQuitResponse });
    expect(await timedOut.catch((error: RequestError) => error.refused)).toBe(false);
  });

  /** The requests a client still awaits: given-up ones must not stay there. */
  const pendingOf = (client: ChatClient): number =>
    (client as unknown as { requests: { pending: Map<number, unknown> } }).requests.pending.size;

  it('times a request out after its own timeout, forgets it and ignores its late answer', async () => {
    const server = await startServer();
    const held: Frame[] = [];
    server.script = (frame) => {
      if (frame.messageType !== MessageType.GroupMembersRequest) return false;
      held.push(frame);
    };
    const client = await loggedIn(server, { requestTimeoutMs: 5000 });
    const errors = collect<Error>((push) => client.on('error', push));

    const startedAt = Date.now();
    const requests = Array.from({ length: 200 }, (_, i) => client.groupMembers(`g${i}`, { timeout: 60 }).catch((error: unknown) => error));
    const failures = await Promise.all(requests);

    expect(Date.now() - startedAt).toBeLessThan(2000);
    for (const failure of failures)
      expect(failure).toMatchObject({ name: 'RequestError', code: 'timeout', messageType: MessageType.GroupMembersResponse });
    expect(pendingOf(client)).toBe(0);
    const connection = server.connections[0];
    const answer = { messageType: MessageType.GroupMembersResponse, success: true, reason: null, groupName: 'x', members: [] };
    for (const frame of held) server.send(connection, { ...answer, sequenceId: frame.sequenceId });
    await client.ping();
    expect(errors).toEqual([]);
  });

  it('rejects an aborted request with code aborted, forgets it, and sends nothing for a signal aborted already', async () => {
    const server = await startServer();
    server.script = (frame) => frame.messageType === MessageType.HistoryRequest;
    const client = await loggedIn(server);
    const connection = server.connections[0];

    const controller = new AbortController();
    const history = client.history({ with: 'bob' }, { signal: controller.signal });
    await waitFor(() => server.framesOf(connection, MessageType.HistoryRequest).length === 1);
    controller.abort();
    await expect(history).rejects.toMatchObject({ code: 'aborted', messageType: MessageType.HistoryResponse });
    expect(pendingOf(client)).toBe(0);

    await expect(client.joinGroup('team', { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    await expect(client.sendChat('bob', 'never', { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    await sleep(50);
    expect(server.framesOf(connection, MessageType.GroupJoinRequest)).toHaveLength(0);
    expect(server.framesOf(connection, MessageType.ChatRequest)).toHaveLength(0);
  });

  it('times out a send waiting in the outbox from the call, and does not send it after the reconnect', async () => {
    const server = await startServer();
    const nowhere = await deadUrl();
    let away = true;
    const client = await loggedIn(server, { resolveUrl: () => (away ? nowhere : server.url) });
    server.connections[0].socket.terminate();
    await waitFor(() => client.state === 'reconnecting');

    const controller = new AbortController();
    const timedOut = client.sendChat('bob', 'too late', { timeout: 30 });
    const aborted = client.sendGroupChat('team', 'called off', { signal: controller.signal });
    controller.abort();
    await expect(timedOut).rejects.toMatchObject({ code: 'timeout', messageType: MessageType.ChatResponse });
    await expect(aborted).rejects.toMatchObject({ code: 'aborted', messageType: MessageType.GroupChatResponse });

    away = false;
    const second = await waitFor(() => server.connections[1]);
    await waitFor(() => client.state === 'connected');
    await client.ping();
    expect(server.framesOf(second, MessageType.ChatRequest)).toHaveLength(0);
    expect(server.framesOf(second, MessageType.GroupChatRequest)).toHaveLength(0);
  });

  it('stops waiting for an unanswered send at its own timeout and frees it', async () => {
    const server = await startServer();
    server.script = (frame) => frame.messageType === MessageType.ChatRequest;
    const client = await loggedIn(server, { requestTimeoutMs: 5000 });
    const messages = collect<ChatMessage>((push) => client.on('message', push));

    await expect(client.sendChat('bob', 'no ack', { timeout: 50 })).rejects.toMatchObject({ code: 'timeout' });
    expect(pendingOf(client)).toBe(0);
    const [send] = server.framesOf(server.connections[0], MessageType.ChatRequest);
    // The ack arriving after all is not taken for a delivery.
    server.send(server.connections[0], {
      messageType: MessageType.ChatResponse,
      sequenceId: send.sequenceId,
      success: true,
      reason: null,
      from: 'alice',
      to: 'bob',
      content: null,
      messageId: '5',
      delivered: true,
      offline: false,
    });
    await client.ping();
    expect(messages).toEqual([]);
  });

  it('resolves ping with the round trip and sends the requestTime', async () => {
    const server = await startServer();
    const client = await loggedIn(server);

    const before = Date.now();
    const roundTrip = await client.ping();

    expect(roundTrip).toBeGreaterThanOrEqual(0);
    expect(roundTrip).toBeLessThanOrEqual(Date.now() - before);
    const [ping] = server.framesOf(server.connections[0], MessageType.Ping);
    expect(ping).toEqual({ messageType: MessageType.Ping, sequenceId: 2, requestTime: expect.any(Number) });
  });

  it('sends chat with a clientMessageId and resolves with the ack', async () => {
    const server = await startServer();
    const client = await loggedIn(server);

    const ack = await client.sendChat('bob', 'hi there');

    expect(ack).toEqual({ messageId: '1000', delivered: true });
    const [send] = server.framesOf(server.connections[0], MessageType.ChatRequest);
    expect(send).toEqual({
      messageType: MessageType.ChatRequest,
      sequenceId: 2,
      to: 'bob',
      content: 'hi there',
      clientMessageId: expect.any(String),
    });
    expect(String(send.clientMessageId).length).toBeGreaterThan(0);
    expect(String(send.clientMessageId).length).toBeLessThanOrEqual(64);
  });

  /**
   * A logged-in client whose send of `type` the server holds unanswered, and the messages the
   * client emits meanwhile: the test sends what it likes first, then answers the send.
   */
  async function sendHeld<T>(type: MessageType, sendWith: (client: ChatClient) => Promise<T>) {
    const server = await startServer();
    let heldSend: Frame | undefined;
    server.script = (frame) => {
      if (frame.messageType !== type) return false;
      heldSend = frame;
    };
    const client = await loggedIn(server);
    const messages = collect<ChatMessage>((push) => client.on('message', push));
    let settled = false;

    const ack = sendWith(client).finally(() => {
      settled = true;
    });
    const send = await waitFor(() => heldSend);
    return { server, connection: server.connections[0], messages, ack, send, settled: () => settled };
  }

  it('tells a delivery that reuses a pending sequenceId from the ack of our send', async () => {
    const { server, connection, messages, ack, send, settled } = await sendHeld(MessageType.ChatRequest, (client) =>
      client.sendChat('bob', 'mine'),
    );
    server.send(connection, { ...delivery('77', send.sequenceId), content: 'mine' });
    await waitFor(() => messages.length === 1);
    expect(settled()).toBe(false);

    server.defaultScript(send, connection);
    await expect(ack).resolves.toEqual({ messageId: '1000', delivered: true });
    expect(messages.map((message) => message.messageId)).toEqual(['77']);
  });

  it("does not take our other device's group message with the same sequenceId for our ack", async () => {
    const { server, connection, messages, ack, send, settled } = await sendHeld(MessageType.GroupChatRequest, (client) =>
      client.sendGroupChat('team', 'from this device'),
    );
    server.send(connection, {
      messageType: MessageType.GroupChatResponse,
      sequenceId: send.sequenceId,
      success: true,
      reason: null,
      from: 'alice',
      groupName: 'team',
      content: 'from the phone',
      messageId: '900',
      offline: false,
    });
    await waitFor(() => messages.length === 1);
    expect(settled()).toBe(false);
    expect(messages[0]).toMatchObject({ messageId: '900', from: 'alice', content: 'from the phone' });

    server.defaultScript(send, connection);
    await expect(ack).resolves.toEqual({ messageId: '1000' });
    expect(messages).toHaveLength(1);
  });

  it('resolves a group send with its own copy and emits group messages of others', async () => {
    const server = await startServer();
    const client = await loggedIn(server);
    const messages = collect<ChatMessage>((push) => client.on('message', push));

    const ack = await client.sendGroupChat('team', 'hello team');
    server.send(server.connections[0], {
      messageType: MessageType.GroupChatResponse,
      sequenceId: 4,
      success: true,
      reason: null,
      from: 'bob',
      groupName: 'team',
      content: 'hi alice',
      messageId: '2000',
      offline: true,
    });

    expect(ack).toEqual({ messageId: '1000' });
    await waitFor(() => messages.length === 1);
    expect(messages).toEqual([
      { kind: 'group', messageId: '2000', from: 'bob', groupName: 'team', content: 'hi alice', offline: true, time: TIME },
    ]);
  });

  it('emits a delivery once when its messageId repeats, and acks both copies', async () => {
    const server = await startServer();
    const client = await loggedIn(server);
    const messages = collect<ChatMessage>((push) => client.on('message', push));
    const connection = server.connections[0];

    server.send(connection, delivery('500'));
    server.send(connection, delivery('500'));
    server.send(connection, delivery('501'));

    const acked = await waitFor(() => {
      const ids = server.framesOf(connection, MessageType.Ack).flatMap((frame) => frame.messageIds as string[]);
      return ids.length === 3 && ids;
    });
    expect(acked).toEqual(['500', '500', '501']);
    expect(messages).toEqual([
      { kind: 'chat', messageId: '500', from: 'bob', to: 'alice', content: 'hello 500', offline: false, time: TIME },
      { kind: 'chat', messageId: '501', from: 'bob', to: 'alice', content: 'hello 501', offline: false, time: TIME },
    ]);
  });

  it('batches the acks of messages received together into one Ack frame', async () => {
    const server = await startServer();
    const client = await loggedIn(server);
    const connection = server.connections[0];
    const messages = collect<ChatMessage>((push) => client.on('message', push));

    const sentAt = Date.now();
    for (const id of ['10', '11', '12']) server.send(connection, delivery(id));
    await waitFor(() => messages.length === 3);
    expect(server.framesOf(connection, MessageType.Ack)).toHaveLength(0);

    const [ack] = await waitFor(
      () => server.framesOf(connection, MessageType.Ack).length > 0 && server.framesOf(connection, MessageType.Ack),
    );
    expect(Date.now() - sentAt).toBeLessThan(1000);
    expect(ack).toEqual({ messageType: MessageType.Ack, sequenceId: expect.any(Number), messageIds: ['10', '11', '12'] });
    await sleep(150);
    expect(server.framesOf(connection, MessageType.Ack)).toHaveLength(1);
  });

  it('resumes with the token after the connection drops and rejects pending requests', async () => {
    const server = await startServer();
    server.script = (frame) => frame.messageType === MessageType.GroupMembersRequest;
    const client = await loggedIn(server);
    const states = collect<ClientState>((push) => client.on('state', push));

    const members = client.groupMembers('team').catch((error: unknown) => error);
    await waitFor(() => server.framesOf(server.connections[0], MessageType.GroupMembersRequest).length === 1);
    server.connections[0].socket.close(CloseCode.GoingAway, 'shutting down');

    expect(await members).toMatchObject({
      message: 'connection lost',
      code: 'disconnected',
      messageType: MessageType.GroupMembersResponse,
    });
    const second = await waitFor(() => server.connections[1]);
    await waitFor(() => client.state === 'connected');
    expect(second.frames[0]).toEqual({ messageType: MessageType.LoginRequest, sequenceId: expect.any(Number), token: 'token-alice' });
    expect(states).toEqual(['reconnecting', 'connected']);
    expect(client.token).toBe('token-alice');
  });

  it('reconnects where resolveUrl says when its instance is gone, and resumes with the token there', async () => {
    const dying = await startServer();
    const other = await startServer();
    const asked: string[] = [];
    const dyingUrl = dying.url;
    const client = await loggedIn(dying, { resolveUrl: (lost) => (asked.push(lost), other.url) });
    await dying.close();
    const moved = await waitFor(() => other.connections[0]);
    await waitFor(() => client.state === 'connected');
    expect(asked[0]).toBe(dyingUrl);
    expect(moved.frames[0]).toEqual({ messageType: MessageType.LoginRequest, sequenceId: expect.any(Number), token: 'token-alice' });
    expect(client.url).toBe(other.url);
  });

  it('resends an unacknowledged send after reconnecting, with the same clientMessageId', async () => {
    const server = await startServer();
    server.script = (frame, connection) => {
      if (frame.messageType !== MessageType.ChatRequest || server.connections.indexOf(connection) !== 0) return false;
      // Stored but the connection dies before the ack: the resend must get the same messageId.
      server.storeMessage(String(frame.clientMessageId));
      connection.socket.terminate();
    };
    const client = await loggedIn(server);

    const ack = await client.sendChat('bob', 'survives');

    const [first, second] = server.connections;
    const [original] = server.framesOf(first, MessageType.ChatRequest);
    expect(second.frames.map((frame) => frame.messageType)).toEqual([MessageType.LoginRequest, MessageType.ChatRequest]);
    expect(second.frames[0]).toMatchObject({ token: 'token-alice' });
    expect(second.frames[1]).toMatchObject({ to: 'bob', content: 'survives', clientMessageId: original.clientMessageId });
    expect(second.frames[1].sequenceId).toBeGreaterThan(original.sequenceId);
    expect(ack).toEqual({ messageId: '1000', delivered: true });
  });

  it('holds sends made while disconnected and sends them once logged in again', async () => {
    const server = await startServer();
    const client = await loggedIn(server);
    let ack: Promise<unknown> | undefined;
    client.once('state', (state) => {
      expect(state).toBe('reconnecting');
      ack = client.sendGroupChat('team', 'queued');
    });

    server.connections[0].socket.terminate();

    await waitFor(() => ack !== undefined);
    await expect(ack).resolves.toEqual({ messageId: '1000' });
    expect(server.framesOf(server.connections[0], MessageType.GroupChatRequest)).toHaveLength(0);
    expect(server.connections).toHaveLength(2);
    expect(server.connections[1].frames.map((frame) => frame.messageType)).toEqual([
      MessageType.LoginRequest,
      MessageType.GroupChatRequest,
    ]);
  });

  it('follows a ReBalance: logs in on the new instance before closing the old socket', async () => {
    const oldServer = await startServer();
    const newServer = await startServer();
    let heldLogin: { frame: Frame; connection: Connection } | undefined;
    newServer.script = (frame, connection) => {
      if (frame.messageType !== MessageType.LoginRequest || heldLogin) return false;
      heldLogin = { frame, connection };
    };
    const client = await loggedIn(oldServer);
    const moves = collect<{ host: string; url: string }>((push) => client.on('moved', push));
    const states = collect<ClientState>((push) => client.on('state', push));
    const host = `127.0.0.1:${newServer.port}`;

    oldServer.send(oldServer.connections[0], {
      messageType: MessageType.ReBalance,
      sequenceId: 0,
      success: true,
      host,
      url: newServer.url,
    });

    const login = await waitFor(() => heldLogin);
    expect(login.frame).toEqual({ messageType: MessageType.LoginRequest, sequenceId: expect.any(Number), token: 'token-alice' });
    expect(moves).toEqual([{ host, url: newServer.url }]);
    await sleep(100);
    expect(oldServer.connections[0].closeCode).toBeUndefined();

    newServer.defaultScript(login.frame, login.connection);
    expect(await waitFor(() => oldServer.connections[0].closeCode)).toBe(CloseCode.Normal);
    await waitFor(() => client.state === 'connected');
    expect(states).toEqual(['moved', 'connected']);
    expect(client.url).toBe(newServer.url);

    await expect(client.sendChat('bob', 'on the new instance')).resolves.toEqual({ messageId: '1000', delivered: true });
    newServer.connections[0].socket.terminate();
    await waitFor(() => newServer.connections.length === 2);
    await waitFor(() => client.state === 'connected');
    expect(oldServer.connections).toHaveLength(1);
  });

  it.each([CloseCode.Replaced, CloseCode.Disabled])('does not reconnect after close code %i', async (code) => {
    const server = await startServer();
    const client = await loggedIn(server);
    const notices = collect<{ reason: string }>((push) => client.on('notice', push));
    const closed = collect<{ code: number; reason: string }>((push) => client.on('closed', push));
    server.script = (frame) => frame.messageType === MessageType.ChatRequest;
    const send = client.sendChat('bob', 'too late').catch((error: unknown) => error);
    await waitFor(() => server.framesOf(server.connections[0], MessageType.ChatRequest).length === 1);

    server.send(server.connections[0], { messageType: MessageType.Notice, sequenceId: 0, reason: 'Account disabled' });
    server.connections[0].socket.close(code, 'bye');

    await waitFor(() => closed.length === 1);
    expect(closed).toEqual([{ code, reason: 'bye' }]);
    expect(notices).toEqual([{ reason: 'Account disabled' }]);
    expect(client.state).toBe('closed');
    expect(await send).toBeInstanceOf(Error);
    await sleep(300);
    expect(server.connections).toHaveLength(1);
  });

  it('pings every heartbeat and reconnects when nothing arrives for two heartbeats', async () => {
    const server = await startServer();
    const client = await loggedIn(server, { heartbeatMs: 60 });

    await sleep(300);
    const first = server.connections[0];
    expect(server.connections).toHaveLength(1);
    expect(server.framesOf(first, MessageType.Ping).length).toBeGreaterThanOrEqual(3);

    server.script = (frame) => frame.messageType === MessageType.Ping;
    await waitFor(() => server.connections.length === 2, 2000);
    server.script = () => false;
    expect(await waitFor(() => first.closeCode)).toBeDefined();
    await waitFor(() => client.state === 'connected');
  });

  it('close() closes with 1000 and stops reconnecting', async () => {
    const server = await startServer();
    const client = await loggedIn(server);
    const closed = collect<{ code: number; reason: string }>((push) => client.on('closed', push));
    const unanswered = client.history({ with: 'bob' }).catch((error: unknown) => error);
    await waitFor(() => server.framesOf(server.connections[0], MessageType.HistoryRequest).length === 1);

    client.close();

    expect(await unanswered).toMatchObject({
      message: 'connection closed (1000: client closed)',
      code: 'disconnected',
      messageType: MessageType.HistoryResponse,
    });
    expect(client.state).toBe('closed');
    expect(closed).toEqual([{ code: CloseCode.Normal, reason: 'client closed' }]);
    expect(await waitFor(() => server.connections[0].closeCode)).toBe(CloseCode.Normal);
    await sleep(200);
    expect(server.connections).toHaveLength(1);
    await expect(client.sendChat('bob', 'after close')).rejects.toMatchObject({ message: 'not connected', code: 'not_connected' });
    await expect(client.ping()).rejects.toMatchObject({ message: 'not connected', code: 'not_connected' });
  });

  it('rejects connect when the server cannot be reached', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const client = newClient();

    await expect(client.connect(url)).rejects.toThrow(/connection closed/);
    expect(client.state).toBe('closed');
  });

  /** A URL where nothing listens: a port that was just free. */
  async function deadUrl(): Promise<string> {
    const server = await ScriptedServer.start();
    const url = server.url;
    await server.close();
    return url;
  }

  it('gives up after maxAttempts failed attempts in a row: reconnecting before each wait, then gaveUp and closed', async () => {
    const server = await startServer();
    const nowhere = await deadUrl();
    const client = await loggedIn(server, { maxAttempts: 3, resolveUrl: () => nowhere });
    const reconnecting = collect<{ attempt: number; delay: number }>((push) => client.on('reconnecting', push));
    const events: string[] = [];
    client.on('gaveUp', () => events.push('gaveUp'));
    client.on('closed', () => events.push('closed'));
    const gaveUp = new Promise<{ attempts: number; error: Error }>((resolve) => client.on('gaveUp', resolve));

    server.connections[0].socket.terminate();
    const { attempts, error } = await gaveUp;

    expect(attempts).toBe(3);
    expect(error.message).toMatch(new RegExp(`^connection to ${nowhere} closed \\(1006`));
    expect(reconnecting.map((event) => event.attempt)).toEqual([1, 2, 3]);
    for (const { delay } of reconnecting) expect(delay).toBeGreaterThanOrEqual(0);
    for (const { delay } of reconnecting) expect(delay).toBeLessThan(100);
    expect(events).toEqual(['gaveUp', 'closed']);
    expect(client.state).toBe('closed');
    await sleep(200);
    expect(server.connections).toHaveLength(1);
  });

  it('counts only failures in a row: a reconnect that logs in again emits reconnected and starts the count again', async () => {
    const server = await startServer();
    const nowhere = await deadUrl();
    let failing = 2;
    const client = await loggedIn(server, { maxAttempts: 3, resolveUrl: () => (failing-- > 0 ? nowhere : server.url) });
    const reconnected = collect<{ attempt: number }>((push) => client.on('reconnected', push));
    const order: string[] = [];
    client.on('reconnected', () => order.push(`reconnected after ${server.connections.at(-1)?.frames[0]?.messageType}`));

    server.connections[0].socket.terminate();
    await waitFor(() => reconnected.length === 1);
    expect(reconnected).toEqual([{ attempt: 3 }]);
    expect(order).toEqual(['reconnected after 17']);

    failing = 2;
    server.connections[1].socket.terminate();
    await waitFor(() => reconnected.length === 2);
    expect(reconnected[1]).toEqual({ attempt: 3 });
    expect(client.state).toBe('connected');
  });

  /** A browser window as far as the client is concerned: online/offline events and navigator.onLine. */
  class FakeWindow extends EventTarget {
    readonly navigator = { onLine: true };
    listeners = 0;

    override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
      this.listeners++;
      super.addEventListener(...args);
    }

    override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
      this.listeners--;
      super.removeEventListener(...args);
    }

    go(online: boolean): void {
      this.navigator.onLine = online;
      this.dispatchEvent(new Event(online ? 'online' : 'offline'));
    }
  }

  it('uses no attempts while offline, reconnects at once when online with the backoff reset, and stops listening on close', async () => {
    const server = await startServer();
    const nowhere = await deadUrl();
    const window = new FakeWindow();
    let failing = true;
    const client = await loggedIn(server, {
      connectivity: window,
      maxAttempts: 4,
      backoff: { baseMs: 40, factor: 1, capMs: 40 },
      resolveUrl: () => (failing ? nowhere : server.url),
    });
    expect(window.listeners).toBe(2);
    const reconnecting = collect<{ attempt: number; delay: number }>((push) => client.on('reconnecting', push));
    const gaveUp = collect<unknown>((push) => client.on('gaveUp', push));

    server.connections[0].socket.terminate();
    await waitFor(() => reconnecting.length >= 2);
    window.go(false);
    const whenOffline = reconnecting.length;
    await sleep(600);
    expect(reconnecting).toHaveLength(whenOffline);
    expect(whenOffline).toBeLessThan(4);
    expect(gaveUp).toEqual([]);
    expect(client.state).toBe('reconnecting');

    failing = false;
    const startedAt = Date.now();
    window.go(true);
    await waitFor(() => client.state === 'connected');
    expect(Date.now() - startedAt).toBeLessThan(500);
    expect(reconnecting.at(-1)).toEqual({ attempt: 1, delay: 0 });
    expect(server.connections[1].frames[0]).toMatchObject({ messageType: MessageType.LoginRequest, token: 'token-alice' });

    client.close();
    expect(window.listeners).toBe(0);
    window.go(false);
    window.go(true);
    await sleep(100);
    expect(server.connections).toHaveLength(2);
  });

  it('does not count a wait called off by going offline, and waits for online after a loss while offline', async () => {
    const server = await startServer();
    const window = new FakeWindow();
    const client = await loggedIn(server, { connectivity: window, maxAttempts: 1, backoff: { baseMs: 5000, factor: 1, capMs: 5000 } });
    const reconnecting = collect<{ attempt: number; delay: number }>((push) => client.on('reconnecting', push));

    window.go(false);
    server.connections[0].socket.terminate();
    await waitFor(() => client.state === 'reconnecting');
    await sleep(100);
    expect(reconnecting).toEqual([]);

    window.go(true);
    await waitFor(() => client.state === 'connected');
    expect(reconnecting).toEqual([{ attempt: 1, delay: 0 }]);
  });

  /** Connects to `given`, moves to `current` (a move that works), then is told to move to a dead URL. */
  async function movedThenToldToMoveNowhere(options: ChatClientOptions) {
    const given = await startServer();
    const current = await startServer();
    const nowhere = await deadUrl();
    const asked: string[] = [];
    const client = await loggedIn(given, { ...options, resolveUrl: (lost) => (asked.push(lost), given.url) });
    const errors = collect<Error>((push) => client.on('error', push));
    given.send(given.connections[0], {
      messageType: MessageType.ReBalance,
      sequenceId: 0,
      success: true,
      reason: null,
      host: 'current',
      url: current.url,
    });
    await waitFor(() => client.url === current.url && client.state === 'connected');
    current.send(current.connections[0], {
      messageType: MessageType.ReBalance,
      sequenceId: 0,
      success: true,
      reason: null,
      host: 'nowhere',
      url: nowhere,
    });
    await waitFor(() => errors.length === 1);
    expect(client.state).toBe('connected');
    current.connections[0].socket.close(CloseCode.Moved, 'moved');
    await waitFor(() => asked.length > 0);
    return { asked, nowhere, given, current, client };
  }

  it('after a move whose target does not answer, reconnects to the url it was given (through resolveUrl)', async () => {
    const { asked, given, client } = await movedThenToldToMoveNowhere({});
    expect(asked[0]).toBe(given.url);
    await waitFor(() => given.connections.length === 2 && client.state === 'connected');
    expect(given.connections[1].frames[0]).toMatchObject({ messageType: MessageType.LoginRequest, token: 'token-alice' });
    expect(client.url).toBe(given.url);
  });

  it('keeps the failed target for reconnects with moveFallback: false', async () => {
    const { asked, nowhere } = await movedThenToldToMoveNowhere({ moveFallback: false });
    expect(asked[0]).toBe(nowhere);
  });

  it('maps history responses to messages and sends only the given fields', async () => {
    const server = await startServer();
    server.script = (frame, connection) => {
      if (frame.messageType !== MessageType.HistoryRequest) return false;
      server.send(connection, {
        messageType: MessageType.HistoryResponse,
        sequenceId: frame.sequenceId,
        success: true,
        reason: null,
        messages: [
          { ...delivery('41', 0), time: '2024-05-01T10:00:00.000+00:00' },
          {
            messageType: MessageType.GroupChatResponse,
            sequenceId: 0,
            success: true,
            reason: null,
            from: 'bob',
            groupName: 'team',
            content: 'g',
            messageId: '42',
            offline: false,
            time: TIME,
          },
        ],
      });
    };
    const client = await loggedIn(server);

    const messages = await client.history({ with: 'bob', beforeId: '100', limit: 20 });

    expect(server.framesOf(server.connections[0], MessageType.HistoryRequest)).toEqual([
      { messageType: MessageType.HistoryRequest, sequenceId: 2, with: 'bob', beforeId: '100', limit: 20 },
    ]);
    expect(messages).toEqual([
      {
        kind: 'chat',
        messageId: '41',
        from: 'bob',
        to: 'alice',
        content: 'hello 41',
        offline: false,
        time: '2024-05-01T10:00:00.000+00:00',
      },
      { kind: 'group', messageId: '42', from: 'bob', groupName: 'team', content: 'g', offline: false, time: TIME },
    ]);
  });

  it('emits groupAdded and notice pushes', async () => {
    const server = await startServer();
    const client = await loggedIn(server);
    const added = collect<{ groupName: string; members: string[]; reason: string | null }>((push) => client.on('groupAdded', push));
    const notices = collect<{ reason: string }>((push) => client.on('notice', push));

    const reason = 'You have been added to group "team"';
    server.send(server.connections[0], {
      messageType: MessageType.GroupCreateResponse,
      sequenceId: 0,
      success: true,
      reason,
      groupName: 'team',
      members: ['bob', 'alice'],
    });
    server.send(server.connections[0], { messageType: MessageType.Notice, sequenceId: 0, reason: 'Server shutting down' });

    await waitFor(() => notices.length === 1);
    expect(added).toEqual([{ groupName: 'team', members: ['bob', 'alice'], reason }]);
    expect(notices).toEqual([{ reason: 'Server shutting down' }]);
  });

  describe('presence, typing, read receipts, conversations, edit and recall', () => {
    const presencePush = (username: string, online: boolean, lastSeen: string | null): Record<string, unknown> => ({
      messageType: MessageType.Presence,
      sequenceId: 0,
      username,
      online,
      lastSeen,
    });

    it('asks for presence, subscribes, and emits pushes of a change once (a copy is dropped)', async () => {
      const server = await startServer();
      server.online.add('bob');
      const client = await loggedIn(server);
      const seen = collect<PresenceEntry>((push) => client.on('presence', push));

      await expect(client.presence(['bob', 'carol'], { subscribe: true })).resolves.toEqual([
        { username: 'bob', online: true, lastSeen: null },
        { username: 'carol', online: false, lastSeen: TIME },
      ]);
      expect(server.framesOf(server.connections[0], MessageType.PresenceRequest)).toEqual([
        { messageType: MessageType.PresenceRequest, sequenceId: 2, usernames: ['bob', 'carol'], subscribe: true },
      ]);
      const later = '2024-05-01T12:05:00.000+00:00';
      server.send(server.connections[0], presencePush('bob', false, later));
      server.send(server.connections[0], presencePush('bob', false, later));
      server.send(server.connections[0], presencePush('carol', true, TIME));
      await waitFor(() => seen.length === 2);
      await client.ping();
      expect(seen).toEqual([
        { username: 'bob', online: false, lastSeen: later },
        { username: 'carol', online: true, lastSeen: TIME },
      ]);
    });

    it('asks for more than 200 users in requests of 200 at most', async () => {
      const server = await startServer();
      const client = await loggedIn(server);
      const names = Array.from({ length: 450 }, (_, n) => `user${n}`);

      const entries = await client.presence(names);

      expect(entries.map((entry) => entry.username)).toEqual(names);
      const requests = server.framesOf(server.connections[0], MessageType.PresenceRequest);
      expect(requests.map((frame) => (frame.usernames as string[]).length)).toEqual([200, 200, 50]);
      expect(requests.every((frame) => frame.subscribe === false)).toBe(true);
    });

    it('subscribes again after a reconnect, emitting only what changed while away', async () => {
      const server = await startServer();
      server.online.add('bob');
      const client = await loggedIn(server);
      await client.presence(['bob', 'carol'], { subscribe: true });
      await client.presence(['dave']);
      const seen = collect<PresenceEntry>((push) => client.on('presence', push));

      server.online.delete('bob');
      server.connections[0].socket.terminate();
      const second = await waitFor(() => server.connections[1]);
      const [again] = await waitFor(
        () => server.framesOf(second, MessageType.PresenceRequest).length === 1 && server.framesOf(second, MessageType.PresenceRequest),
      );

      expect(second.frames[0]).toMatchObject({ messageType: MessageType.LoginRequest, token: 'token-alice' });
      expect(again).toEqual({
        messageType: MessageType.PresenceRequest,
        sequenceId: expect.any(Number),
        usernames: ['bob', 'carol'],
        subscribe: true,
      });
      await waitFor(() => seen.length === 1);
      await client.ping();
      expect(seen).toEqual([{ username: 'bob', online: false, lastSeen: TIME }]);
    });

    it('subscribes again on the instance a ReBalance moves it to, and not after a logout', async () => {
      const oldServer = await startServer();
      const newServer = await startServer();
      newServer.script = (frame, connection) => {
        if (frame.messageType !== MessageType.LogoutRequest) return false;
        newServer.send(connection, { messageType: MessageType.LogoutResponse, sequenceId: frame.sequenceId, success: true, reason: null });
      };
      const client = await loggedIn(oldServer);
      await client.presence(['bob'], { subscribe: true });

      oldServer.send(oldServer.connections[0], {
        messageType: MessageType.ReBalance,
        sequenceId: 0,
        success: true,
        host: `127.0.0.1:${newServer.port}`,
        url: newServer.url,
      });
      const moved = await waitFor(() => newServer.connections[0]);
      await waitFor(() => newServer.framesOf(moved, MessageType.PresenceRequest).length === 1);
      expect(moved.frames.map((frame) => frame.messageType)).toEqual([MessageType.LoginRequest, MessageType.PresenceRequest]);
      expect(moved.frames[1]).toMatchObject({ usernames: ['bob'], subscribe: true });

      await client.logout();
      moved.socket.terminate();
      const third = await waitFor(() => newServer.connections[1]);
      await waitFor(() => client.state === 'connected');
      await client.ping();
      expect(newServer.framesOf(third, MessageType.PresenceRequest)).toEqual([]);
    });

    it('writes typing notices without awaiting an answer, and emits the pushes', async () => {
      const server = await startServer();
      const client = newClient();
      expect(client.typing({ to: 'bob' })).toBe(false);
      await client.connect(server.url);
      await client.login('alice', 'secret');
      const typing = collect<TypingEvent>((push) => client.on('typing', push));

      expect(client.typing({ to: 'bob' })).toBe(true);
      expect(client.typing({ groupName: 'team' })).toBe(true);
      const connection = server.connections[0];
      await waitFor(() => server.framesOf(connection, MessageType.TypingRequest).length === 2);
      expect(server.framesOf(connection, MessageType.TypingRequest)).toEqual([
        { messageType: MessageType.TypingRequest, sequenceId: 2, to: 'bob' },
        { messageType: MessageType.TypingRequest, sequenceId: 3, groupName: 'team' },
      ]);
      expect(pendingOf(client)).toBe(0);

      server.send(connection, { messageType: MessageType.Typing, sequenceId: 0, from: 'bob', to: 'alice' });
      server.send(connection, { messageType: MessageType.Typing, sequenceId: 0, from: 'carol', groupName: 'team' });
      await waitFor(() => typing.length === 2);
      expect(typing).toEqual([
        { kind: 'chat', from: 'bob', to: 'alice' },
        { kind: 'group', from: 'carol', groupName: 'team' },
      ]);
    });

    it('marks a conversation read, resolves with the position the server keeps, and emits read receipts', async () => {
      const server = await startServer();
      server.script = (frame, connection) => {
        if (frame.messageType !== MessageType.ReadRequest) return false;
        const position = frame.messageId === '5' ? '9' : frame.messageId;
        server.send(connection, {
          messageType: MessageType.ReadResponse,
          sequenceId: frame.sequenceId,
          success: true,
          reason: null,
          with: frame.with ?? null,
          groupName: frame.groupName ?? null,
          messageId: position,
        });
      };
      const client = await loggedIn(server);
      const receipts = collect<ReadReceiptEvent>((push) => client.on('readReceipt', push));

      await expect(client.markRead({ with: 'bob' }, '12')).resolves.toBe('12');
      await expect(client.markRead({ groupName: 'team' }, '5')).resolves.toBe('9');
      expect(server.framesOf(server.connections[0], MessageType.ReadRequest)).toEqual([
        { messageType: MessageType.ReadRequest, sequenceId: 2, with: 'bob', messageId: '12' },
        { messageType: MessageType.ReadRequest, sequenceId: 3, groupName: 'team', messageId: '5' },
      ]);

      const connection = server.connections[0];
      server.send(connection, { messageType: MessageType.ReadReceipt, sequenceId: 0, from: 'bob', with: 'bob', messageId: '12' });
      server.send(connection, { messageType: MessageType.ReadReceipt, sequenceId: 0, from: 'carol', groupName: 'team', messageId: '7' });
      const reads = [
        { from: 'dave', messageId: '6' },
        { from: 'carol', messageId: '8' },
      ];
      server.send(connection, {
        messageType: MessageType.ReadReceipt,
        sequenceId: 0,
        from: 'carol',
        groupName: 'team',
        messageId: '8',
        reads,
      });
      await waitFor(() => receipts.length === 3);
      expect(receipts).toEqual([
        { kind: 'chat', from: 'bob', with: 'bob', messageId: '12' },
        { kind: 'group', from: 'carol', groupName: 'team', messageId: '7', reads: [{ from: 'carol', messageId: '7' }] },
        { kind: 'group', from: 'carol', groupName: 'team', messageId: '8', reads },
      ]);
    });

    it('pages conversations with their unread counts and read positions, and iterates every page', async () => {
      const server = await startServer();
      const pages: Record<string, Record<string, unknown>> = {
        first: {
          conversations: [
            {
              with: 'bob',
              lastMessage: { ...delivery('30', 0), time: TIME },
              unread: 2,
              readUpTo: '28',
              peerReadUpTo: '29',
            },
          ],
          next: 'cursor-1',
        },
        'cursor-1': {
          conversations: [
            {
              groupName: 'team',
              lastMessage: {
                messageType: MessageType.GroupChatResponse,
                sequenceId: 0,
                success: true,
                reason: null,
                from: 'alice',
                groupName: 'team',
                content: null,
                messageId: '20',
                offline: false,
                recalled: true,
                editedAt: TIME,
                time: TIME,
              },
              unread: 0,
              readUpTo: null,
            },
          ],
          next: null,
        },
      };
      server.script = (frame, connection) => {
        if (frame.messageType !== MessageType.ConversationsRequest) return false;
        const page = pages[typeof frame.before === 'string' ? frame.before : 'first'];
        server.send(connection, {
          messageType: MessageType.ConversationsResponse,
          sequenceId: frame.sequenceId,
          success: true,
          reason: null,
          ...page,
        });
      };
      const client = await loggedIn(server);

      const first = await client.conversations({ limit: 1 });
      expect(first).toEqual({
        conversations: [
          {
            kind: 'chat',
            with: 'bob',
            peerReadUpTo: '29',
            unread: 2,
            readUpTo: '28',
            lastMessage: { kind: 'chat', messageId: '30', from: 'bob', to: 'alice', content: 'hello 30', offline: false, time: TIME },
          },
        ],
        next: 'cursor-1',
      });
      const all: ConversationsPage[] = [];
      for await (const page of client.conversationPages({ limit: 1 })) all.push(page);
      expect(all.map((page) => page.next)).toEqual(['cursor-1', null]);
      expect(all[1].conversations).toEqual([
        {
          kind: 'group',
          groupName: 'team',
          unread: 0,
          readUpTo: null,
          lastMessage: {
            kind: 'group',
            messageId: '20',
            from: 'alice',
            groupName: 'team',
            content: '',
            offline: false,
            time: TIME,
            editedAt: TIME,
            recalled: true,
          },
        },
      ]);
      expect(server.framesOf(server.connections[0], MessageType.ConversationsRequest)).toEqual([
        { messageType: MessageType.ConversationsRequest, sequenceId: 2, limit: 1 },
        { messageType: MessageType.ConversationsRequest, sequenceId: 3, limit: 1 },
        { messageType: MessageType.ConversationsRequest, sequenceId: 4, limit: 1, before: 'cursor-1' },
      ]);
    });

    it('edits and recalls, resolving with editedAt, and rejects a refusal with its code', async () => {
      const server = await startServer();
      const editedAt = '2024-05-01T12:01:00.000+00:00';
      server.script = (frame, connection) => {
        const type = frame.messageType;
        if (type !== MessageType.EditRequest && type !== MessageType.RecallRequest) return false;
        const responseType = type === MessageType.EditRequest ? MessageType.EditResponse : MessageType.RecallResponse;
        const answer =
          frame.messageId === '1'
            ? { success: false, reason: 'The edit window has passed', code: 'forbidden', messageId: null, editedAt: null }
            : { success: true, reason: null, messageId: frame.messageId, editedAt };
        server.send(connection, { messageType: responseType, sequenceId: frame.sequenceId, ...answer });
      };
      const client = await loggedIn(server);

      await expect(client.edit('41', 'fixed')).resolves.toEqual({ messageId: '41', editedAt });
      await expect(client.recall('42')).resolves.toEqual({ messageId: '42', editedAt });
      const refused = await client.edit('1', 'too late').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RequestError);
      expect(refused).toMatchObject({ code: 'forbidden', reason: 'The edit window has passed', messageType: MessageType.EditResponse });
      await expect(client.recall('1')).rejects.toMatchObject({ code: 'forbidden', messageType: MessageType.RecallResponse });
      expect(server.framesOf(server.connections[0], MessageType.EditRequest)[0]).toEqual({
        messageType: MessageType.EditRequest,
        sequenceId: 2,
        messageId: '41',
        content: 'fixed',
      });
      expect(server.framesOf(server.connections[0], MessageType.RecallRequest)[0]).toEqual({
        messageType: MessageType.RecallRequest,
        sequenceId: 3,
        messageId: '42',
      });
    });

    it('emits messageChanged pushes, and takes a recalled delivery (no content) for a message, acknowledged', async () => {
      const server = await startServer();
      const client = await loggedIn(server);
      const changes = collect<MessageChangedEvent>((push) => client.on('messageChanged', push));
      const messages = collect<ChatMessage>((push) => client.on('message', push));
      const connection = server.connections[0];
      const editedAt = '2024-05-01T12:02:00.000+00:00';

      server.send(connection, {
        messageType: MessageType.MessageChanged,
        sequenceId: 0,
        messageId: '7',
        from: 'bob',
        to: 'alice',
        content: 'new',
        editedAt,
      });
      server.send(connection, {
        messageType: MessageType.MessageChanged,
        sequenceId: 0,
        messageId: '8',
        from: 'carol',
        groupName: 'team',
        recalled: true,
        editedAt,
      });
      server.send(connection, { ...delivery('9'), content: null, recalled: true, editedAt, offline: true });

      await waitFor(() => changes.length === 2 && messages.length === 1);
      expect(changes).toEqual([
        { kind: 'chat', messageId: '7', from: 'bob', to: 'alice', content: 'new', recalled: false, editedAt },
        { kind: 'group', messageId: '8', from: 'carol', groupName: 'team', recalled: true, editedAt },
      ]);
      expect(messages).toEqual([
        { kind: 'chat', messageId: '9', from: 'bob', to: 'alice', content: '', offline: true, time: TIME, editedAt, recalled: true },
      ]);
      await waitFor(() => server.framesOf(connection, MessageType.Ack).length === 1);
      expect(server.framesOf(connection, MessageType.Ack)[0].messageIds).toEqual(['9']);
    });
  });
});
