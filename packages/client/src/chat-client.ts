import { BackoffOptions, DEFAULT_BACKOFF } from './backoff';
import { Sockets, WebSocketConstructor, WebSocketLike, defaultWebSocketImpl, isOpen, parseFrame, write } from './connection';
import { ChatClientEvents, ClientState, GroupAddedEvent, MessageChangedEvent, ReadReceiptEvent, TypingEvent } from './events';
import { Heartbeat } from './heartbeat';
import { ChatMessage, Inbox, toChatMessage } from './inbox';
import { Moves } from './moves';
import { Outbox, newClientMessageId } from './outbox';
import { PresenceWatch, presenceBatches } from './presence';
import {
  ChatResponseFrame,
  ClientFrame,
  ConversationEntry,
  ConversationsRequestFrame,
  GroupChatResponseFrame,
  GroupCreateResponseFrame,
  HistoryRequestFrame,
  LoginRequestFrame,
  MessageChangedFrame,
  MessageType,
  PresenceEntry,
  PresenceFrame,
  ReBalanceFrame,
  ReadReceiptFrame,
  ServerFrameOf,
  TypingFrame,
  CloseCode,
  DEAD_CONNECTION_CLOSE_CODE,
  FINAL_CLOSE_CODES,
  ReportedCloseCode,
} from '../../../src/protocol';
import { ConnectivityEvents, Reconnector, defaultConnectivity } from './reconnect';
import { ClientErrorCode, OutgoingFrame, RequestError, RequestOptions, Requests, ResponseType, refusalOf } from './requests';
import { TypedEmitter } from './typed-emitter';

export interface LoginResult {
  username: string;
  token: string;
}

export interface ChatSendResult {
  messageId: string;
  delivered: boolean;
}

export interface GroupSendResult {
  messageId: string;
}

export interface GroupInfo {
  groupName: string;
  members: string[];
}

export interface HistoryQuery {
  with?: string;
  groupName?: string;
  beforeId?: string;
  limit?: number;
}

/** A conversation: with a user, or a group. */
export type ConversationTarget = { with: string } | { groupName: string };

/** Where a typing notice goes: to a user, or to a group. */
export type TypingTarget = { to: string } | { groupName: string };

export interface PresenceQuery {
  /** Also emit `presence` when one of them comes online or goes offline; kept across reconnects and moves. */
  subscribe?: boolean;
}

export interface ConversationsQuery {
  /** 1..100 (the server's default when absent). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  before?: string;
}

interface ConversationState {
  lastMessage: ChatMessage;
  /** Messages from others after the user's read position. */
  unread: number;
  /** The user's read position, or null before the first read. */
  readUpTo: string | null;
}

/** One conversation of a `conversations` page. */
export type ConversationSummary = ConversationState &
  ({ kind: 'chat'; with: string; peerReadUpTo: string | null } | { kind: 'group'; groupName: string });

export interface ConversationsPage {
  /** Newest activity first. */
  conversations: ConversationSummary[];
  /** The cursor of the next page (`before`); null on the last one. */
  next: string | null;
}

export interface MessageChangeResult {
  messageId: string;
  editedAt: string;
}

export interface ChatClientOptions {
  /** Defaults to `globalThis.WebSocket`, else the `ws` package. */
  WebSocketImpl?: WebSocketConstructor;
  requestTimeoutMs?: number;
  heartbeatMs?: number;
  ackDelayMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** How many received message ids are remembered to drop redeliveries. */
  dedupWindow?: number;
  /**
   * Where to reconnect after a lost connection (default: the same url). An instance that died
   * stays dead: give the other instances' urls, or ask a live one (`GET /serverAddress`).
   */
  resolveUrl?: (lostUrl: string, attempt: number) => string | Promise<string>;
  /** Reconnect attempts that may fail in a row before the client gives up and emits `gaveUp` (default: no limit). */
  maxAttempts?: number;
  /**
   * Offline pauses reconnecting without using up attempts; online reconnects at once with the
   * backoff reset. Default: `globalThis` when it has `addEventListener` and `navigator` (a browser);
   * null turns it off.
   */
  connectivity?: ConnectivityEvents | null;
  /**
   * When the instance a ReBalance push names does not answer, or refuses the login, later
   * reconnects go to the url given to `connect` (through `resolveUrl`, if set): default true.
   * false keeps the target for them, as if the move had worked.
   */
  moveFallback?: boolean;
}

interface Deferred {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * WebSocket chat client: requests as promises, an outbox that survives reconnects, automatic
 * acknowledgement and dedup of deliveries, heartbeats, reconnect with backoff and rebalance moves.
 */
export class ChatClient extends TypedEmitter<ChatClientEvents> {
  private readonly resolveUrl?: ChatClientOptions['resolveUrl'];

  private currentState: ClientState = 'closed';
  private currentUrl: string | undefined;
  private currentUsername: string | undefined;
  private currentToken: string | undefined;

  private socket: WebSocketLike | null = null;
  /** True once the active socket is open and its token resume (if any) is done. */
  private ready = false;
  private connectWaiter: Deferred | undefined;

  private readonly sockets: Sockets;
  private readonly requests: Requests;
  private readonly outbox: Outbox;
  private readonly inbox: Inbox;
  private readonly heartbeat: Heartbeat;
  private readonly reconnector: Reconnector;
  private readonly moves: Moves;
  private readonly presenceWatch = new PresenceWatch();

  constructor(options: ChatClientOptions = {}) {
    super();
    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.resolveUrl = options.resolveUrl;
    this.sockets = new Sockets(options.WebSocketImpl ?? defaultWebSocketImpl(), requestTimeoutMs, {
      open: (socket) => this.handleOpen(socket),
      data: (socket, data) => this.handleData(socket, data),
      close: (socket, code, reason) => this.handleClose(socket, code, reason),
      stalled: (socket, url) => {
        if (socket === this.moves.socket) this.abortMove(socket, new Error(`no connection to ${url}`));
        else if (socket === this.socket) this.dropConnection(socket);
      },
    });
    this.requests = new Requests(requestTimeoutMs);
    this.outbox = new Outbox(this.requests, requestTimeoutMs, {
      readySocket: () => (this.ready ? this.socket : null),
      closed: () => this.currentState === 'closed',
    });
    this.inbox = new Inbox(options.dedupWindow ?? 10_000, options.ackDelayMs ?? 50, (messageIds) =>
      this.sendOnActive((sequenceId) => ({ messageType: MessageType.Ack, sequenceId, messageIds })),
    );
    this.heartbeat = new Heartbeat(
      options.heartbeatMs ?? 25_000,
      () => this.sendOnActive((sequenceId) => ({ messageType: MessageType.Ping, sequenceId, requestTime: Date.now() })),
      () => {
        if (this.socket) this.dropConnection(this.socket);
      },
    );
    const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
    const connectivity = options.connectivity === undefined ? defaultConnectivity() : options.connectivity;
    this.reconnector = new Reconnector(backoff, options.maxAttempts ?? Infinity, connectivity, {
      enterReconnecting: () => {
        this.setState('reconnecting');
        return this.currentState === 'reconnecting';
      },
      isReconnecting: () => this.currentState === 'reconnecting',
      hasConnection: () => this.socket !== null || this.moves.socket !== null,
      reconnecting: (event) => this.emit('reconnecting', event),
      gaveUp: (event) => {
        this.emit('gaveUp', event);
        if (this.currentState !== 'closed') this.finish(ReportedCloseCode.Abnormal, `gave up after ${event.attempts} reconnect attempts`);
      },
      reconnect: (attempt) => void this.reconnect(attempt),
    });
    this.moves = new Moves(options.moveFallback ?? true);
  }

  get state(): ClientState {
    return this.currentState;
  }

  get url(): string | undefined {
    return this.currentUrl;
  }

  get username(): string | undefined {
    return this.currentUsername;
  }

  get token(): string | undefined {
    return this.currentToken;
  }

  /**
   * Opens the connection; resolves once it is usable (logged in again when a token is
   * remembered). Rejects when this first attempt fails; later losses reconnect on their own.
   */
  connect(url: string): Promise<void> {
    if (this.currentState !== 'closed') return Promise.reject(new Error('already connected'));
    this.currentUrl = url;
    this.moves.start(url);
    this.reconnector.start();
    return new Promise<void>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      this.setState('connecting');
      this.open(url);
    });
  }

  /** Closes the connection with 1000 and stops reconnecting; unsettled requests reject. */
  close(): void {
    if (this.currentState === 'closed') return;
    this.inbox.flushAcks();
    this.finish(CloseCode.Normal, 'client closed');
  }

  async register(username: string, password: string, options?: RequestOptions): Promise<void> {
    await this.request({ messageType: MessageType.RegisterRequest, username, password }, MessageType.RegisterResponse, options);
  }

  login(username: string, password: string, options?: RequestOptions): Promise<LoginResult> {
    return this.authenticate({ messageType: MessageType.LoginRequest, username, password }, options, username);
  }

  loginWithToken(token: string, options?: RequestOptions): Promise<LoginResult> {
    return this.authenticate({ messageType: MessageType.LoginRequest, token }, options);
  }

  /**
   * Logs out: the server revokes every token of the user and ends this session; `everywhere`
   * also closes the user's other sessions. The connection stays open, logged out.
   */
  async logout(everywhere = false, options?: RequestOptions): Promise<void> {
    await this.request({ messageType: MessageType.LogoutRequest, everywhere }, MessageType.LogoutResponse, options);
    this.currentUsername = undefined;
    this.currentToken = undefined;
    this.presenceWatch.clear();
  }

  /** Changes the password; this session keeps going with the new token, the user's other sessions are closed. */
  async changePassword(oldPassword: string, newPassword: string, options?: RequestOptions): Promise<string> {
    const frame = { messageType: MessageType.ChangePasswordRequest, oldPassword, newPassword } as const;
    const response = await this.request(frame, MessageType.ChangePasswordResponse, options);
    if (!response.token) throw new Error('change password response without a token');
    this.currentToken = response.token;
    return response.token;
  }

  /**
   * Sends a 1:1 message. Until acknowledged it stays in the outbox: a lost connection resends it
   * after reconnecting, with the same clientMessageId so the server stores it only once.
   */
  async sendChat(to: string, content: string, options: RequestOptions = {}): Promise<ChatSendResult> {
    const ack = await this.outbox.enqueue(
      { messageType: MessageType.ChatRequest, to, content, clientMessageId: newClientMessageId() },
      MessageType.ChatResponse,
      options,
    );
    return { messageId: ack.messageId ?? '', delivered: ack.delivered === true };
  }

  /** Sends to a group, with the outbox guarantees of sendChat; the ack is our own copy. */
  async sendGroupChat(groupName: string, content: string, options: RequestOptions = {}): Promise<GroupSendResult> {
    const ack = await this.outbox.enqueue(
      { messageType: MessageType.GroupChatRequest, groupName, content, clientMessageId: newClientMessageId() },
      MessageType.GroupChatResponse,
      options,
    );
    return { messageId: ack.messageId ?? '' };
  }

  async createGroup(groupName: string, members: string[], options?: RequestOptions): Promise<GroupInfo> {
    const response = await this.request(
      { messageType: MessageType.GroupCreateRequest, groupName, members },
      MessageType.GroupCreateResponse,
      options,
    );
    return { groupName: response.groupName, members: response.members ?? [] };
  }

  async joinGroup(groupName: string, options?: RequestOptions): Promise<void> {
    await this.request({ messageType: MessageType.GroupJoinRequest, groupName }, MessageType.GroupJoinResponse, options);
  }

  async quitGroup(groupName: string, options?: RequestOptions): Promise<void> {
    await this.request({ messageType: MessageType.GroupQuitRequest, groupName }, MessageType.GroupQuitResponse, options);
  }

  async groupMembers(groupName: string, options?: RequestOptions): Promise<string[]> {
    const response = await this.request(
      { messageType: MessageType.GroupMembersRequest, groupName },
      MessageType.GroupMembersResponse,
      options,
    );
    return response.members ?? [];
  }

  /** Messages of a conversation older than `beforeId`, oldest first. */
  async history(query: HistoryQuery, options?: RequestOptions): Promise<ChatMessage[]> {
    const frame: Omit<HistoryRequestFrame, 'sequenceId'> = { messageType: MessageType.HistoryRequest };
    if (query.with !== undefined) frame.with = query.with;
    if (query.groupName !== undefined) frame.groupName = query.groupName;
    if (query.beforeId !== undefined) frame.beforeId = query.beforeId;
    if (query.limit !== undefined) frame.limit = query.limit;
    const response = await this.request(frame, MessageType.HistoryResponse, options);
    return (response.messages ?? []).map(toChatMessage);
  }

  /**
   * Whether these users are online, and when each was last seen. With `subscribe`, `presence`
   * events follow when one of them comes online or goes offline. The server ends subscriptions
   * with the connection: after a reconnect or a move the client subscribes to every watched user
   * again (emitting `presence` for those that changed meanwhile) until `close()` or `logout()`.
   * More than 200 names go as several requests.
   */
  async presence(usernames: string[], query: PresenceQuery = {}, options?: RequestOptions): Promise<PresenceEntry[]> {
    const subscribe = query.subscribe === true;
    const entries: PresenceEntry[] = [];
    for (const batch of presenceBatches(usernames)) {
      const frame = { messageType: MessageType.PresenceRequest, usernames: batch, subscribe } as const;
      const response = await this.request(frame, MessageType.PresenceResponse, options);
      if (subscribe) this.presenceWatch.add(batch);
      for (const entry of response.presence ?? []) {
        this.presenceWatch.changed(entry);
        entries.push(presenceEntry(entry));
      }
    }
    return entries;
  }

  /**
   * Tells the peer (or the group's members) that we are typing; nothing is answered. The server
   * forwards at most one per conversation every 2 s and drops the rest. False when there was no
   * usable connection to write it on.
   */
  typing(target: TypingTarget): boolean {
    const socket = this.socket;
    if (!this.ready || !isOpen(socket)) return false;
    const address = 'groupName' in target ? { groupName: target.groupName } : { to: target.to };
    write(socket, { messageType: MessageType.TypingRequest, sequenceId: this.requests.nextSequenceId(), ...address });
    return true;
  }

  /** Marks a conversation read up to and including `messageId`; resolves with the read position, which never moves back. */
  async markRead(target: ConversationTarget, messageId: string, options?: RequestOptions): Promise<string> {
    const frame = { messageType: MessageType.ReadRequest, ...conversationFields(target), messageId } as const;
    const response = await this.request(frame, MessageType.ReadResponse, options);
    return response.messageId ?? messageId;
  }

  /** A page of the user's conversations, newest activity first, with their unread counts and read positions. */
  async conversations(query: ConversationsQuery = {}, options?: RequestOptions): Promise<ConversationsPage> {
    const frame: Omit<ConversationsRequestFrame, 'sequenceId'> = { messageType: MessageType.ConversationsRequest };
    if (query.limit !== undefined) frame.limit = query.limit;
    if (query.before !== undefined) frame.before = query.before;
    const response = await this.request(frame, MessageType.ConversationsResponse, options);
    return { conversations: (response.conversations ?? []).map(conversationSummary), next: response.next ?? null };
  }

  /** Every page of the user's conversations, one request per page, as they are asked for. */
  async *conversationPages(query: Omit<ConversationsQuery, 'before'> = {}, options?: RequestOptions): AsyncGenerator<ConversationsPage> {
    let before: string | undefined;
    for (;;) {
      const page = await this.conversations(before === undefined ? query : { ...query, before }, options);
      yield page;
      if (page.next === null || page.next === before) return;
      before = page.next;
    }
  }

  /** Replaces the text of one of our messages (within the server's edit window); `messageChanged` reaches the others. */
  async edit(messageId: string, content: string, options?: RequestOptions): Promise<MessageChangeResult> {
    const response = await this.request({ messageType: MessageType.EditRequest, messageId, content }, MessageType.EditResponse, options);
    return { messageId: response.messageId ?? messageId, editedAt: response.editedAt ?? '' };
  }

  /** Recalls one of our messages (within the server's edit window): it keeps its id and place, without its content. */
  async recall(messageId: string, options?: RequestOptions): Promise<MessageChangeResult> {
    const response = await this.request({ messageType: MessageType.RecallRequest, messageId }, MessageType.RecallResponse, options);
    return { messageId: response.messageId ?? messageId, editedAt: response.editedAt ?? '' };
  }

  /** Round trip of a Ping in milliseconds. */
  async ping(options?: RequestOptions): Promise<number> {
    const startedAt = Date.now();
    await this.request({ messageType: MessageType.Ping, requestTime: startedAt }, MessageType.Pong, options);
    return Date.now() - startedAt;
  }

  private async authenticate(
    frame: Omit<LoginRequestFrame, 'sequenceId'>,
    options?: RequestOptions,
    requested?: string,
  ): Promise<LoginResult> {
    return this.acceptLogin(await this.request(frame, MessageType.LoginResponse, options), requested);
  }

  private acceptLogin(response: ServerFrameOf<typeof MessageType.LoginResponse>, requested?: string): LoginResult {
    const username = response.username ?? requested ?? this.currentUsername;
    if (!username || !response.token) throw new Error('login response without username or token');
    this.currentUsername = username;
    this.currentToken = response.token;
    return { username, token: response.token };
  }

  private setState(state: ClientState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private request<T extends ResponseType>(
    frame: OutgoingFrame,
    responseType: T,
    options: RequestOptions = {},
    socket: WebSocketLike | null = this.socket,
  ): Promise<ServerFrameOf<T>> {
    return this.requests.send(socket, frame, responseType, options);
  }

  /** Writes a frame that awaits no answer on the active connection; without one it is dropped. */
  private sendOnActive(frame: (sequenceId: number) => ClientFrame): void {
    const socket = this.socket;
    if (socket) write(socket, frame(this.requests.nextSequenceId()));
  }

  private open(url: string): void {
    this.ready = false;
    try {
      this.socket = this.sockets.create(url);
    } catch (error) {
      this.socket = null;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.reconnector.failed(failure);
      if (this.connectWaiter) this.finish(ReportedCloseCode.Abnormal, failure.message);
      else this.reconnector.schedule();
    }
  }

  private handleOpen(socket: WebSocketLike): void {
    if (socket === this.moves.socket && !this.currentToken) {
      this.adopt(socket);
      return;
    }
    if (socket === this.moves.socket) {
      this.request({ messageType: MessageType.LoginRequest, token: this.currentToken }, MessageType.LoginResponse, {}, socket)
        .then((response) => {
          if (socket !== this.moves.socket) return;
          this.acceptLogin(response);
          this.adopt(socket);
        })
        .catch((error: unknown) => this.abortMove(socket, error));
      return;
    }
    if (socket !== this.socket) return;
    this.heartbeat.start();
    const token = this.currentToken;
    if (!token) {
      this.becomeReady();
      return;
    }
    this.request({ messageType: MessageType.LoginRequest, token }, MessageType.LoginResponse, {}, socket)
      .then((response) => {
        if (socket !== this.socket) return;
        this.acceptLogin(response);
        this.becomeReady();
      })
      .catch((error: unknown) => {
        if (socket !== this.socket) return;
        if (error instanceof RequestError) {
          this.currentToken = undefined;
          this.emit('error', new RequestError(`token resume refused: ${error.reason}`, error.messageType, error.code));
          this.becomeReady();
        } else {
          this.dropConnection(socket);
        }
      });
  }

  private becomeReady(): void {
    const attempt = this.reconnector.succeeded();
    this.moves.settled();
    this.ready = true;
    this.setState('connected');
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.resolve();
    this.outbox.flush();
    this.resubscribe();
    if (attempt > 0) this.emit('reconnected', { attempt });
  }

  /** A new connection (a reconnect, a move) has none of the old one's presence subscriptions: makes them again. */
  private resubscribe(): void {
    const usernames = this.presenceWatch.usernames;
    if (usernames.length === 0 || !this.currentToken) return;
    for (const batch of presenceBatches(usernames)) {
      this.request({ messageType: MessageType.PresenceRequest, usernames: batch, subscribe: true }, MessageType.PresenceResponse)
        .then((response) => {
          for (const entry of response.presence ?? []) if (this.presenceWatch.changed(entry)) this.emit('presence', presenceEntry(entry));
        })
        .catch((error: unknown) => {
          // Lost with its connection: the next one subscribes again.
          if (error instanceof RequestError && !error.refused) return;
          const reason = error instanceof RequestError ? error.reason : String(error);
          const code = error instanceof RequestError ? error.code : ClientErrorCode.Disconnected;
          this.emit('error', new RequestError(`presence subscription refused: ${reason}`, MessageType.PresenceResponse, code));
        });
    }
  }

  private handleClose(socket: WebSocketLike, code: number, reason: string): void {
    if (FINAL_CLOSE_CODES.has(code) && (socket === this.socket || socket === this.moves.socket)) {
      this.finish(code, reason);
      return;
    }
    if (socket === this.moves.socket) {
      this.abortMove(socket, new Error(`connection to ${this.moves.target} closed (${code})`));
      return;
    }
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    this.reconnector.failed(new Error(`connection to ${this.currentUrl} closed (${code}${reason ? `: ${reason}` : ''})`));
    this.heartbeat.stop();
    this.requests.release(socket);
    if (this.connectWaiter) {
      this.finish(code, reason || 'connection failed');
      return;
    }
    // A move in progress takes over once it has logged in.
    if (!this.moves.socket) this.reconnector.schedule();
  }

  private async reconnect(attempt: number): Promise<void> {
    const lost = this.moves.reconnectUrl(this.currentUrl);
    if (!lost) return;
    let url = lost;
    if (this.resolveUrl) {
      try {
        url = await this.resolveUrl(lost, attempt);
      } catch {
        url = lost;
      }
    }
    if (this.state === 'closed' || this.reconnector.waiting || this.socket) return;
    this.currentUrl = url;
    this.open(url);
  }

  /** Treats a silent or unresponsive connection as lost without waiting for a close handshake. */
  private dropConnection(socket: WebSocketLike): void {
    this.sockets.abandon(socket, DEAD_CONNECTION_CLOSE_CODE, 'connection unresponsive');
    this.handleClose(socket, ReportedCloseCode.Abnormal, 'connection unresponsive');
  }

  /** Ends the session for good: everything unsettled rejects and nothing reconnects. */
  private finish(code: number, reason: string): void {
    for (const socket of [this.socket, this.moves.socket]) if (socket) this.sockets.abandon(socket, CloseCode.Normal);
    this.socket = null;
    this.moves.socket = null;
    this.ready = false;
    this.heartbeat.stop();
    this.reconnector.stop();
    this.inbox.dropAcks();
    this.presenceWatch.clear();
    const message = `connection closed (${code}${reason ? `: ${reason}` : ''})`;
    const lost = (messageType: number): RequestError => new RequestError(message, messageType, ClientErrorCode.Disconnected);
    this.requests.rejectAll(lost);
    this.outbox.rejectAll(lost);
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(new Error(message));
    this.setState('closed');
    this.emit('closed', { code, reason });
  }

  private follow(frame: ReBalanceFrame): void {
    this.emit('moved', { host: frame.host, url: frame.url });
    const previous = this.moves.begin(frame.url);
    if (previous) this.sockets.abandon(previous, CloseCode.Normal);
    this.setState('moved');
    try {
      this.moves.socket = this.sockets.create(frame.url);
    } catch (error) {
      this.abortMove(null, error);
    }
  }

  private adopt(socket: WebSocketLike): void {
    const old = this.socket;
    this.currentUrl = this.moves.adopted(this.currentUrl);
    this.socket = socket;
    if (old) {
      this.requests.release(old);
      this.sockets.abandon(old, CloseCode.Normal, 'moved');
    }
    this.heartbeat.start();
    this.becomeReady();
  }

  private abortMove(socket: WebSocketLike | null, error: unknown): void {
    if (socket !== this.moves.socket) return;
    if (socket) {
      this.sockets.abandon(socket, CloseCode.Normal);
      this.requests.release(socket);
    }
    this.currentUrl = this.moves.failed(this.currentUrl);
    this.emit('error', error instanceof Error ? error : new Error(String(error)));
    if (this.socket) this.setState(this.ready ? 'connected' : 'reconnecting');
    else this.reconnector.schedule();
  }

  private handleData(socket: WebSocketLike, data: unknown): void {
    if (socket === this.socket) this.heartbeat.heard();
    const frame = parseFrame(data);
    if (!frame) return;
    switch (frame.messageType) {
      case MessageType.ChatResponse:
      case MessageType.GroupChatResponse:
        this.handleChatFrame(frame);
        return;
      case MessageType.GroupCreateResponse:
        if (!this.requests.settle(frame)) this.emit('groupAdded', groupAdded(frame));
        return;
      case MessageType.ReBalance:
        if (socket === this.socket) this.follow(frame);
        return;
      case MessageType.Notice:
        this.emit('notice', { reason: frame.reason ?? '' });
        return;
      case MessageType.Error:
        if (!this.requests.settle(frame)) this.emit('error', refusalOf(frame));
        return;
      case MessageType.Presence:
        this.handlePresence(frame);
        return;
      case MessageType.Typing:
        this.emit('typing', typingEvent(frame, this.currentUsername));
        return;
      case MessageType.ReadReceipt:
        this.emit('readReceipt', readReceiptEvent(frame));
        return;
      case MessageType.MessageChanged:
        this.emit('messageChanged', messageChangedEvent(frame));
        return;
      default:
        this.requests.settle(frame);
    }
  }

  /** A push of a watched user's presence; a copy (the same state again, as both connections of a move may send it) is dropped. */
  private handlePresence(frame: PresenceFrame): void {
    const entry = presenceEntry(frame);
    if (this.presenceWatch.changed(entry)) this.emit('presence', entry);
  }

  private handleChatFrame(frame: ChatResponseFrame | GroupChatResponseFrame): void {
    if (!frame.success) {
      this.requests.settle(frame);
      return;
    }
    if (this.answersOwnSend(frame) && this.requests.settle(frame)) {
      if (frame.messageType === MessageType.GroupChatResponse && frame.messageId) this.inbox.receiveOwnCopy(frame.messageId);
      return;
    }
    const message = this.inbox.receive(frame);
    if (message) this.emit('message', message);
  }

  /**
   * Whether a chat frame is the acknowledgement of one of our pending sends rather than a delivery
   * that happens to carry the same sequenceId (another user's, or our other device's).
   */
  private answersOwnSend(frame: ChatResponseFrame | GroupChatResponseFrame): boolean {
    if (frame.from === null || frame.from !== this.currentUsername) return false;
    const sent = this.requests.get(frame.sequenceId)?.outbox?.frame;
    return sent !== undefined && (frame.content === null || frame.content === sent.content);
  }
}

function groupAdded(frame: GroupCreateResponseFrame): GroupAddedEvent {
  return { groupName: frame.groupName, members: frame.members ?? [], reason: frame.reason };
}

function presenceEntry(entry: PresenceEntry): PresenceEntry {
  return { username: entry.username, online: entry.online === true, lastSeen: entry.lastSeen ?? null };
}

function conversationFields(target: ConversationTarget): { with: string } | { groupName: string } {
  return 'groupName' in target ? { groupName: target.groupName } : { with: target.with };
}

function conversationSummary(entry: ConversationEntry): ConversationSummary {
  const state = { lastMessage: toChatMessage(entry.lastMessage), unread: entry.unread ?? 0, readUpTo: entry.readUpTo ?? null };
  return typeof entry.groupName === 'string'
    ? { kind: 'group', groupName: entry.groupName, ...state }
    : { kind: 'chat', with: entry.with ?? '', peerReadUpTo: entry.peerReadUpTo ?? null, ...state };
}

function typingEvent(frame: TypingFrame, me: string | undefined): TypingEvent {
  return typeof frame.groupName === 'string'
    ? { kind: 'group', from: frame.from, groupName: frame.groupName }
    : { kind: 'chat', from: frame.from, to: frame.to ?? me ?? '' };
}

function readReceiptEvent(frame: ReadReceiptFrame): ReadReceiptEvent {
  return typeof frame.groupName === 'string'
    ? {
        kind: 'group',
        from: frame.from,
        groupName: frame.groupName,
        messageId: frame.messageId,
        reads: (frame.reads ?? [{ from: frame.from, messageId: frame.messageId }]).map(({ from, messageId }) => ({ from, messageId })),
      }
    : { kind: 'chat', from: frame.from, with: frame.with ?? frame.from, messageId: frame.messageId };
}

function messageChangedEvent(frame: MessageChangedFrame): MessageChangedEvent {
  const change = {
    messageId: frame.messageId,
    from: frame.from,
    recalled: frame.recalled === true,
    editedAt: frame.editedAt,
    ...(typeof frame.content === 'string' ? { content: frame.content } : {}),
  };
  return typeof frame.groupName === 'string'
    ? { kind: 'group', groupName: frame.groupName, ...change }
    : { kind: 'chat', to: frame.to ?? '', ...change };
}
