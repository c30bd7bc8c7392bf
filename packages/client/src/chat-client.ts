import { BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from './backoff';
import {
  ChatRequestFrame,
  ChatResponseFrame,
  ClientFrame,
  CloseCode,
  DEAD_CONNECTION_CLOSE_CODE,
  FINAL_CLOSE_CODES,
  GroupChatRequestFrame,
  GroupChatResponseFrame,
  GroupCreateResponseFrame,
  HistoryRequestFrame,
  LoginRequestFrame,
  MessageType,
  ReBalanceFrame,
  RefusalCode,
  ReportedCloseCode,
  ServerFrame,
  ServerFrameOf,
} from '../../../src/protocol';
import { TypedEmitter } from './typed-emitter';

const OPEN = 1;
/** Keeps an Ack frame well below the server's 32 KiB frame limit. */
const ACK_BATCH_LIMIT = 500;

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'moved' | 'closed';

export interface DirectMessage {
  kind: 'chat';
  messageId: string;
  from: string;
  to: string;
  content: string;
  offline: boolean;
  time: string;
}

export interface GroupMessage {
  kind: 'group';
  messageId: string;
  from: string;
  groupName: string;
  content: string;
  offline: boolean;
  time: string;
}

export type ChatMessage = DirectMessage | GroupMessage;

export interface GroupAddedEvent {
  groupName: string;
  members: string[];
  reason: string | null;
}

export interface NoticeEvent {
  reason: string;
}

export interface MovedEvent {
  host: string;
  url: string;
}

export interface ClosedEvent {
  code: number;
  reason: string;
}

export interface ReconnectingEvent {
  /** 1 for the first attempt after a loss, counting the attempts that failed in a row. */
  attempt: number;
  /** Milliseconds until this attempt (0 when coming back online). */
  delay: number;
}

export interface ReconnectedEvent {
  /** The attempt that succeeded. */
  attempt: number;
}

export interface GaveUpEvent {
  /** How many attempts failed in a row (`maxAttempts`). */
  attempts: number;
  /** Why the last one failed. */
  error: Error;
}

export interface ChatClientEvents {
  message: ChatMessage;
  groupAdded: GroupAddedEvent;
  notice: NoticeEvent;
  moved: MovedEvent;
  state: ClientState;
  /** Before each wait for a reconnect attempt. */
  reconnecting: ReconnectingEvent;
  /** A reconnect is usable again: logged in again with the token, unless it was refused (an `error` first). */
  reconnected: ReconnectedEvent;
  /** `maxAttempts` reconnect attempts failed in a row: the client stops; `closed` follows. */
  gaveUp: GaveUpEvent;
  closed: ClosedEvent;
  /** Problems that belong to no request: a refused token resume, an unmatched Error frame. */
  error: Error;
}

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

// Handler parameters are checked bivariantly so both `ws` and DOM sockets satisfy this type.
type SocketHandler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the standard WebSocket API the client uses; `ws` and browser sockets both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: SocketHandler<unknown> | null;
  onmessage: SocketHandler<{ data: unknown }> | null;
  onclose: SocketHandler<{ code: number; reason: string }> | null;
  onerror: SocketHandler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Where `online` and `offline` events come from: a browser's `window` (or a worker's scope). */
export interface ConnectivityEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
  readonly navigator?: { readonly onLine?: boolean };
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
   * When the instance a ReBalance (type 21) names does not answer, or refuses the login, later
   * reconnects go to the url given to `connect` (through `resolveUrl`, if set): default true.
   * false keeps the target for them, as if the move had worked.
   */
  moveFallback?: boolean;
}

/** Why a request failed on the client's side, without an answer from the server. */
export const ClientErrorCode = {
  /** No answer within the request's timeout. */
  Timeout: 'timeout',
  /** Its AbortSignal was aborted. */
  Aborted: 'aborted',
  /** The connection it was sent on was lost, or the client was closed: it may or may not have been served. */
  Disconnected: 'disconnected',
  /** Made while the client had no usable connection: it was never sent. */
  NotConnected: 'not_connected',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];
const CLIENT_ERROR_CODES = new Set<string>(Object.values(ClientErrorCode));
export type RequestErrorCode = RefusalCode | ClientErrorCode;

/**
 * A failed request: refused by the server (a response with `success:false`, or an Error frame),
 * with the server's `code`, or given up by the client, with a `ClientErrorCode`.
 */
export class RequestError extends Error {
  constructor(
    readonly reason: string,
    /** The response type (or 26): the one received, or for a client-side failure the one awaited. */
    readonly messageType: number,
    readonly code: RequestErrorCode,
  ) {
    super(reason);
    this.name = 'RequestError';
  }

  /** True when the server refused the request; false when the client gave it up (a `ClientErrorCode`). */
  get refused(): boolean {
    return !CLIENT_ERROR_CODES.has(this.code);
  }
}

/** Options of every request method. */
export interface RequestOptions {
  /** Milliseconds until the request rejects with code `timeout` (default: the client's `requestTimeoutMs`). */
  timeout?: number;
  /** Aborting it rejects the request with code `aborted` and forgets it; an answer arriving later is ignored. */
  signal?: AbortSignal;
}

/**
 * Arms a request's deadline and abort signal; `giveUp` runs at most once, with the error. Returns
 * what disarms both, so that a settled request leaves neither a timer nor a listener behind.
 */
function arm(
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  messageType: number,
  giveUp: (error: RequestError) => void,
): () => void {
  const onTimeout = (): void => {
    stop();
    giveUp(new RequestError(`request timed out after ${timeoutMs} ms`, messageType, ClientErrorCode.Timeout));
  };
  const onAbort = (): void => {
    stop();
    giveUp(abortedError(messageType));
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(onTimeout, timeoutMs);
  signal?.addEventListener('abort', onAbort, { once: true });
  function stop(): void {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  return stop;
}

const abortedError = (messageType: number): RequestError => new RequestError('request aborted', messageType, ClientErrorCode.Aborted);
const notConnectedError = (messageType: number): RequestError =>
  new RequestError('not connected', messageType, ClientErrorCode.NotConnected);

type OutgoingFrame = ClientFrame extends infer F ? (F extends ClientFrame ? Omit<F, 'sequenceId'> : never) : never;
type ChatSendFrame = Omit<ChatRequestFrame, 'sequenceId'> | Omit<GroupChatRequestFrame, 'sequenceId'>;
type ResponseType = ServerFrame['messageType'];

interface OutboxEntry {
  frame: ChatSendFrame;
  responseType: typeof MessageType.ChatResponse | typeof MessageType.GroupChatResponse;
  /** The sequenceId of the transmission awaiting its ack, if one is in flight. */
  sentAs?: number;
  /** A timeout given with the send counts from the call; otherwise each transmission is timed on its own. */
  ownDeadline: boolean;
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
}

interface PendingRequest {
  responseType: ResponseType;
  socket: WebSocketLike;
  /** Disarms the request's timeout and abort listener. */
  stop(): void;
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
  /** Set for chat sends, which outlive a lost connection in the outbox. */
  outbox?: OutboxEntry;
}

interface Deferred {
  resolve(): void;
  reject(error: Error): void;
}

const noop = (): void => undefined;

function defaultConnectivity(): ConnectivityEvents | null {
  const scope = globalThis as Partial<ConnectivityEvents>;
  return typeof scope.addEventListener === 'function' && typeof scope.navigator === 'object' ? (scope as ConnectivityEvents) : null;
}

function defaultWebSocketImpl(): WebSocketConstructor {
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
  // Required on demand so browser bundles, which always have a native WebSocket, can leave `ws` out.
  return require('ws') as WebSocketConstructor;
}

export function newClientMessageId(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof webCrypto?.randomUUID === 'function') return webCrypto.randomUUID();
  let id = '';
  while (id.length < 32) id += Math.random().toString(36).slice(2);
  return id.slice(0, 32);
}

export function toChatMessage(frame: ChatResponseFrame | GroupChatResponseFrame): ChatMessage {
  const common = {
    messageId: frame.messageId ?? '',
    from: frame.from ?? '',
    content: frame.content ?? '',
    offline: frame.offline === true,
    time: frame.time ?? '',
  };
  return frame.messageType === MessageType.ChatResponse
    ? { kind: 'chat', ...common, to: frame.to ?? '' }
    : { kind: 'group', ...common, groupName: frame.groupName ?? '' };
}

function parseFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const frame = value as ServerFrame;
  if (typeof frame.messageType !== 'number') return undefined;
  if (typeof frame.sequenceId !== 'number') frame.sequenceId = 0;
  return frame;
}

/**
 * WebSocket chat client: requests as promises, an outbox that survives reconnects, automatic
 * acknowledgement and dedup of deliveries, heartbeats, reconnect with backoff and rebalance moves.
 */
export class ChatClient extends TypedEmitter<ChatClientEvents> {
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly requestTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly ackDelayMs: number;
  private readonly backoff: BackoffOptions;
  private readonly dedupWindow: number;
  private readonly resolveUrl?: ChatClientOptions['resolveUrl'];
  private readonly maxAttempts: number;
  private readonly connectivity: ConnectivityEvents | null;
  private readonly moveFallback: boolean;

  private currentState: ClientState = 'closed';
  private currentUrl: string | undefined;
  /** The url given to `connect`. */
  private givenUrl: string | undefined;
  /** Where the move under way goes. */
  private moveTarget: string | undefined;
  /** Where the next reconnect goes instead of the current url, after a failed move. */
  private fallbackUrl: string | undefined;
  private currentUsername: string | undefined;
  private currentToken: string | undefined;

  private socket: WebSocketLike | null = null;
  /** The connection being opened after a ReBalance, adopted once logged in. */
  private moveSocket: WebSocketLike | null = null;
  /** True once the active socket is open and its token resume (if any) is done. */
  private ready = false;
  private connectWaiter: Deferred | undefined;

  private lastSequenceId = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly outbox = new Set<OutboxEntry>();
  private readonly openTimers = new Map<WebSocketLike, ReturnType<typeof setTimeout>>();

  private readonly seen = new Set<string>();
  private acks: string[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | undefined;

  /** Reconnect attempts started since the connection was last usable. */
  private reconnectAttempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Why the connection or the last attempt failed, for `gaveUp`. */
  private lastError: Error | undefined;
  private offline = false;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private watchdogTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFrameAt = 0;

  constructor(options: ChatClientOptions = {}) {
    super();
    this.WebSocketImpl = options.WebSocketImpl ?? defaultWebSocketImpl();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.heartbeatMs = options.heartbeatMs ?? 25_000;
    this.ackDelayMs = options.ackDelayMs ?? 50;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.dedupWindow = options.dedupWindow ?? 10_000;
    this.resolveUrl = options.resolveUrl;
    this.maxAttempts = options.maxAttempts ?? Infinity;
    this.connectivity = options.connectivity === undefined ? defaultConnectivity() : options.connectivity;
    this.moveFallback = options.moveFallback ?? true;
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
    this.givenUrl = url;
    this.fallbackUrl = undefined;
    this.reconnectAttempt = 0;
    this.lastError = undefined;
    this.offline = this.connectivity?.navigator?.onLine === false;
    this.connectivity?.addEventListener('offline', this.wentOffline);
    this.connectivity?.addEventListener('online', this.cameOnline);
    return new Promise<void>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      this.setState('connecting');
      this.open(url);
    });
  }

  /** Closes the connection with 1000 and stops reconnecting; unsettled requests reject. */
  close(): void {
    if (this.currentState === 'closed') return;
    this.flushAcks();
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
    const ack = await this.enqueue(
      { messageType: MessageType.ChatRequest, to, content, clientMessageId: newClientMessageId() },
      MessageType.ChatResponse,
      options,
    );
    return { messageId: ack.messageId ?? '', delivered: ack.delivered === true };
  }

  /** Sends to a group, with the outbox guarantees of sendChat; the ack is our own copy. */
  async sendGroupChat(groupName: string, content: string, options: RequestOptions = {}): Promise<GroupSendResult> {
    const ack = await this.enqueue(
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

  private nextSequenceId(): number {
    this.lastSequenceId += 1;
    return this.lastSequenceId;
  }

  private createSocket(url: string): WebSocketLike {
    const socket = new this.WebSocketImpl(url);
    socket.onopen = () => {
      this.clearOpenTimer(socket);
      this.handleOpen(socket);
    };
    socket.onmessage = (event) => this.handleData(socket, event.data);
    socket.onclose = (event) => {
      this.clearOpenTimer(socket);
      this.handleClose(socket, event.code, event.reason);
    };
    // A failed socket always closes afterwards; the close handler does the work.
    socket.onerror = noop;
    // Neither `ws` nor browsers time out a handshake that never completes.
    this.openTimers.set(
      socket,
      setTimeout(() => {
        this.openTimers.delete(socket);
        if (socket === this.moveSocket) this.abortMove(socket, new Error(`no connection to ${url}`));
        else if (socket === this.socket) this.dropConnection(socket);
      }, this.requestTimeoutMs),
    );
    return socket;
  }

  private clearOpenTimer(socket: WebSocketLike): void {
    clearTimeout(this.openTimers.get(socket));
    this.openTimers.delete(socket);
  }

  private open(url: string): void {
    this.ready = false;
    try {
      this.socket = this.createSocket(url);
    } catch (error) {
      this.socket = null;
      this.lastError = error instanceof Error ? error : new Error(String(error));
      if (this.connectWaiter) this.finish(ReportedCloseCode.Abnormal, this.lastError.message);
      else this.scheduleReconnect();
    }
  }

  /** Detaches a socket so its late events are ignored, then closes it. */
  private abandon(socket: WebSocketLike, code: number, reason?: string): void {
    this.clearOpenTimer(socket);
    socket.onopen = noop;
    socket.onmessage = noop;
    socket.onclose = noop;
    // `ws` throws on an 'error' event nobody listens to, e.g. when closing while still connecting.
    socket.onerror = noop;
    try {
      socket.close(code, reason);
    } catch {
      // A socket that cannot be closed is already gone.
    }
  }

  private write(socket: WebSocketLike, frame: ClientFrame): void {
    if (socket.readyState === OPEN) socket.send(JSON.stringify(frame));
  }

  private request<T extends ResponseType>(
    frame: OutgoingFrame,
    responseType: T,
    options: RequestOptions = {},
    socket: WebSocketLike | null = this.socket,
  ): Promise<ServerFrameOf<T>> {
    return new Promise<ServerFrameOf<T>>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(abortedError(responseType));
        return;
      }
      if (!socket || socket.readyState !== OPEN) {
        reject(notConnectedError(responseType));
        return;
      }
      const sequenceId = this.nextSequenceId();
      const request = { responseType, socket, resolve: resolve as (frame: ServerFrame) => void, reject };
      this.track(sequenceId, request, options.timeout ?? this.requestTimeoutMs, options.signal);
      this.write(socket, { ...frame, sequenceId } as ClientFrame);
    });
  }

  /** Awaits the answer to `sequenceId`; a timeout or an abort forgets it, so nothing given up on stays behind. */
  private track(sequenceId: number, request: Omit<PendingRequest, 'stop'>, timeoutMs?: number, signal?: AbortSignal): void {
    const stop = arm(timeoutMs, signal, request.responseType, (error) => {
      this.pending.delete(sequenceId);
      request.reject(error);
    });
    this.pending.set(sequenceId, { ...request, stop });
  }

  private enqueue<T extends OutboxEntry['responseType']>(
    frame: ChatSendFrame,
    responseType: T,
    options: RequestOptions,
  ): Promise<ServerFrameOf<T>> {
    return new Promise<ServerFrameOf<T>>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(abortedError(responseType));
        return;
      }
      if (this.currentState === 'closed') {
        reject(notConnectedError(responseType));
        return;
      }
      const stop = arm(options.timeout, options.signal, responseType, (error) => {
        this.withdraw(entry);
        reject(error);
      });
      const entry: OutboxEntry = {
        frame,
        responseType,
        ownDeadline: options.timeout !== undefined,
        resolve: (answer) => {
          stop();
          resolve(answer as ServerFrameOf<T>);
        },
        reject: (error) => {
          stop();
          reject(error);
        },
      };
      this.outbox.add(entry);
      if (this.ready) this.transmit(entry);
    });
  }

  /** Forgets a send given up on: out of the outbox, and its transmission, if any, no longer awaited. */
  private withdraw(entry: OutboxEntry): void {
    this.outbox.delete(entry);
    if (entry.sentAs === undefined) return;
    this.pending.get(entry.sentAs)?.stop();
    this.pending.delete(entry.sentAs);
    entry.sentAs = undefined;
  }

  private transmit(entry: OutboxEntry): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return;
    const sequenceId = this.nextSequenceId();
    entry.sentAs = sequenceId;
    const request = {
      responseType: entry.responseType,
      socket,
      outbox: entry,
      resolve: (frame: ServerFrame) => {
        this.outbox.delete(entry);
        entry.resolve(frame);
      },
      reject: (error: Error) => {
        this.outbox.delete(entry);
        entry.reject(error);
      },
    };
    this.track(sequenceId, request, entry.ownDeadline ? undefined : this.requestTimeoutMs);
    this.write(socket, { ...entry.frame, sequenceId });
  }

  private flushOutbox(): void {
    for (const entry of this.outbox) if (entry.sentAs === undefined) this.transmit(entry);
  }

  /** Settles the request a response answers; false when it answers none of ours. */
  private settle(frame: ServerFrame): boolean {
    if (frame.sequenceId === 0) return false;
    const request = this.pending.get(frame.sequenceId);
    if (!request) return false;
    const isError = frame.messageType === MessageType.Error;
    if (!isError && request.responseType !== frame.messageType) return false;
    this.pending.delete(frame.sequenceId);
    request.stop();
    if (isError || ('success' in frame && frame.success === false)) {
      request.reject(refusalOf(frame));
    } else {
      request.resolve(frame);
    }
    return true;
  }

  /** Requests sent on a lost socket: chat sends go back to the outbox, the rest reject. */
  private releaseRequests(socket: WebSocketLike): void {
    for (const [sequenceId, request] of this.pending) {
      if (request.socket !== socket) continue;
      this.pending.delete(sequenceId);
      request.stop();
      if (request.outbox) request.outbox.sentAs = undefined;
      else request.reject(new RequestError('connection lost', request.responseType, ClientErrorCode.Disconnected));
    }
  }

  private handleOpen(socket: WebSocketLike): void {
    if (socket === this.moveSocket && !this.currentToken) {
      this.adopt(socket);
      return;
    }
    if (socket === this.moveSocket) {
      this.request({ messageType: MessageType.LoginRequest, token: this.currentToken }, MessageType.LoginResponse, {}, socket)
        .then((response) => {
          if (socket !== this.moveSocket) return;
          this.acceptLogin(response);
          this.adopt(socket);
        })
        .catch((error: unknown) => this.abortMove(socket, error));
      return;
    }
    if (socket !== this.socket) return;
    this.startHeartbeat();
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
    const attempt = this.reconnectAttempt;
    this.fallbackUrl = undefined;
    this.ready = true;
    this.reconnectAttempt = 0;
    this.lastError = undefined;
    this.setState('connected');
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.resolve();
    this.flushOutbox();
    if (attempt > 0) this.emit('reconnected', { attempt });
  }

  private handleClose(socket: WebSocketLike, code: number, reason: string): void {
    if (FINAL_CLOSE_CODES.has(code) && (socket === this.socket || socket === this.moveSocket)) {
      this.finish(code, reason);
      return;
    }
    if (socket === this.moveSocket) {
      this.abortMove(socket, new Error(`connection to ${this.moveTarget} closed (${code})`));
      return;
    }
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    this.lastError = new Error(`connection to ${this.currentUrl} closed (${code}${reason ? `: ${reason}` : ''})`);
    this.stopHeartbeat();
    this.releaseRequests(socket);
    if (this.connectWaiter) {
      this.finish(code, reason || 'connection failed');
      return;
    }
    // A move in progress takes over once it has logged in.
    if (!this.moveSocket) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    if (this.currentState !== 'reconnecting') return;
    if (this.reconnectAttempt >= this.maxAttempts) {
      this.giveUp();
      return;
    }
    // Offline, an attempt could only fail: the online event starts the next one.
    if (this.offline) return;
    const delay = backoffDelay(this.reconnectAttempt, this.backoff);
    this.emit('reconnecting', { attempt: this.reconnectAttempt + 1, delay });
    if (this.currentState !== 'reconnecting') return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.attemptReconnect();
    }, delay);
  }

  private attemptReconnect(): void {
    this.reconnectAttempt += 1;
    void this.reconnect(this.reconnectAttempt - 1);
  }

  private giveUp(): void {
    const attempts = this.reconnectAttempt;
    this.emit('gaveUp', { attempts, error: this.lastError ?? new Error('reconnect failed') });
    if (this.currentState !== 'closed') this.finish(ReportedCloseCode.Abnormal, `gave up after ${attempts} reconnect attempts`);
  }

  /** A wait under way is called off: the attempt at its end would fail, and is not counted. */
  private readonly wentOffline = (): void => {
    this.offline = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  };

  private readonly cameOnline = (): void => {
    this.offline = false;
    this.reconnectAttempt = 0;
    if (this.currentState !== 'reconnecting' || this.socket || this.moveSocket) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.emit('reconnecting', { attempt: 1, delay: 0 });
    if (this.currentState === 'reconnecting') this.attemptReconnect();
  };

  private async reconnect(attempt: number): Promise<void> {
    const lost = this.fallbackUrl ?? this.currentUrl;
    if (!lost) return;
    let url = lost;
    if (this.resolveUrl) {
      try {
        url = await this.resolveUrl(lost, attempt);
      } catch {
        url = lost;
      }
    }
    if (this.state === 'closed' || this.reconnectTimer !== undefined || this.socket) return;
    this.currentUrl = url;
    this.open(url);
  }

  /** Treats a silent or unresponsive connection as lost without waiting for a close handshake. */
  private dropConnection(socket: WebSocketLike): void {
    this.abandon(socket, DEAD_CONNECTION_CLOSE_CODE, 'connection unresponsive');
    this.handleClose(socket, ReportedCloseCode.Abnormal, 'connection unresponsive');
  }

  /** Ends the session for good: everything unsettled rejects and nothing reconnects. */
  private finish(code: number, reason: string): void {
    for (const socket of [this.socket, this.moveSocket]) if (socket) this.abandon(socket, CloseCode.Normal);
    this.socket = null;
    this.moveSocket = null;
    this.ready = false;
    this.stopHeartbeat();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.connectivity?.removeEventListener('offline', this.wentOffline);
    this.connectivity?.removeEventListener('online', this.cameOnline);
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.acks = [];
    const message = `connection closed (${code}${reason ? `: ${reason}` : ''})`;
    const lost = (messageType: number): RequestError => new RequestError(message, messageType, ClientErrorCode.Disconnected);
    for (const request of this.pending.values()) {
      request.stop();
      if (!request.outbox) request.reject(lost(request.responseType));
    }
    this.pending.clear();
    for (const entry of this.outbox) entry.reject(lost(entry.responseType));
    this.outbox.clear();
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(new Error(message));
    this.setState('closed');
    this.emit('closed', { code, reason });
  }

  private follow(frame: ReBalanceFrame): void {
    this.emit('moved', { host: frame.host, url: frame.url });
    this.moveTarget = frame.url;
    if (this.moveSocket) this.abandon(this.moveSocket, CloseCode.Normal);
    this.moveSocket = null;
    this.setState('moved');
    try {
      this.moveSocket = this.createSocket(frame.url);
    } catch (error) {
      this.abortMove(null, error);
    }
  }

  private adopt(socket: WebSocketLike): void {
    const old = this.socket;
    this.moveSocket = null;
    // Reconnects after a move that worked go to the instance moved to.
    this.currentUrl = this.moveTarget ?? this.currentUrl;
    this.moveTarget = undefined;
    this.socket = socket;
    if (old) {
      this.releaseRequests(old);
      this.abandon(old, CloseCode.Normal, 'moved');
    }
    this.startHeartbeat();
    this.becomeReady();
  }

  private abortMove(socket: WebSocketLike | null, error: unknown): void {
    if (socket !== this.moveSocket) return;
    if (socket) {
      this.abandon(socket, CloseCode.Normal);
      this.releaseRequests(socket);
    }
    this.moveSocket = null;
    // The instance left is going away: once its connection goes too, try the url given (or resolved) rather than it.
    if (this.moveFallback) this.fallbackUrl = this.givenUrl;
    else this.currentUrl = this.moveTarget;
    this.moveTarget = undefined;
    this.emit('error', error instanceof Error ? error : new Error(String(error)));
    if (this.socket) this.setState(this.ready ? 'connected' : 'reconnecting');
    else this.scheduleReconnect();
  }

  private handleData(socket: WebSocketLike, data: unknown): void {
    if (socket === this.socket) this.lastFrameAt = Date.now();
    const frame = parseFrame(data);
    if (!frame) return;
    switch (frame.messageType) {
      case MessageType.ChatResponse:
      case MessageType.GroupChatResponse:
        this.handleChatFrame(frame);
        return;
      case MessageType.GroupCreateResponse:
        if (!this.settle(frame)) this.emit('groupAdded', groupAdded(frame));
        return;
      case MessageType.ReBalance:
        if (socket === this.socket) this.follow(frame);
        return;
      case MessageType.Notice:
        this.emit('notice', { reason: frame.reason ?? '' });
        return;
      case MessageType.Error:
        if (!this.settle(frame)) this.emit('error', refusalOf(frame));
        return;
      default:
        this.settle(frame);
    }
  }

  private handleChatFrame(frame: ChatResponseFrame | GroupChatResponseFrame): void {
    if (!frame.success) {
      this.settle(frame);
      return;
    }
    if (this.answersOwnSend(frame) && this.settle(frame)) {
      // The group ack is also our copy of the delivery; acknowledging it keeps it from coming back.
      if (frame.messageType === MessageType.GroupChatResponse && frame.messageId) {
        this.remember(frame.messageId);
        this.queueAck(frame.messageId);
      }
      return;
    }
    // A 1:1 ack carries no content: one arriving here answers a send given up on, and is no delivery.
    if (!frame.messageId || frame.content === null) return;
    // Duplicates are acknowledged too: a redelivery means the server did not get our Ack.
    this.queueAck(frame.messageId);
    if (this.seen.has(frame.messageId)) return;
    this.remember(frame.messageId);
    this.emit('message', toChatMessage(frame));
  }

  /**
   * Whether a chat frame is the acknowledgement of one of our pending sends rather than a delivery
   * that happens to carry the same sequenceId (another user's, or our other device's).
   */
  private answersOwnSend(frame: ChatResponseFrame | GroupChatResponseFrame): boolean {
    if (frame.from === null || frame.from !== this.currentUsername) return false;
    const sent = this.pending.get(frame.sequenceId)?.outbox?.frame;
    return sent !== undefined && (frame.content === null || frame.content === sent.content);
  }

  private remember(messageId: string): void {
    this.seen.add(messageId);
    if (this.seen.size > this.dedupWindow) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private queueAck(messageId: string): void {
    this.acks.push(messageId);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), this.ackDelayMs);
  }

  private flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const ids = this.acks;
    this.acks = [];
    const socket = this.socket;
    // Without a connection the ids are dropped: the server redelivers them and they are acked then.
    if (!socket) return;
    for (let start = 0; start < ids.length; start += ACK_BATCH_LIMIT) {
      const messageIds = ids.slice(start, start + ACK_BATCH_LIMIT);
      this.write(socket, { messageType: MessageType.Ack, sequenceId: this.nextSequenceId(), messageIds });
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.lastFrameAt = Date.now();
    this.heartbeatTimer = setInterval(() => {
      if (this.socket) {
        this.write(this.socket, { messageType: MessageType.Ping, sequenceId: this.nextSequenceId(), requestTime: Date.now() });
      }
    }, this.heartbeatMs);
    this.armWatchdog(2 * this.heartbeatMs);
  }

  private armWatchdog(delay: number): void {
    this.watchdogTimer = setTimeout(() => {
      const silence = Date.now() - this.lastFrameAt;
      const limit = 2 * this.heartbeatMs;
      if (silence < limit) this.armWatchdog(limit - silence);
      else if (this.socket) this.dropConnection(this.socket);
    }, delay);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.watchdogTimer);
    this.heartbeatTimer = undefined;
    this.watchdogTimer = undefined;
  }
}

/** The server's refusal as an error; a server without codes gets `internal`, as for a code not known. */
function refusalOf(frame: ServerFrame): RequestError {
  const reason = ('reason' in frame && frame.reason) || 'request failed';
  const code = ('code' in frame && frame.code) || RefusalCode.Internal;
  return new RequestError(reason, frame.messageType, code);
}

function groupAdded(frame: GroupCreateResponseFrame): GroupAddedEvent {
  return { groupName: frame.groupName, members: frame.members ?? [], reason: frame.reason };
}
