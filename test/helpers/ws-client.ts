import WebSocket from 'ws';
import { CloseCode, MessageType, RESPONSE_TYPE } from '../../src/protocol';

export type Frame = Record<string, unknown> & { messageType: number; sequenceId: number };

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A bare protocol client for tests: it sends frames as given and records everything it gets,
 * so a test sees exactly what a client would.
 */
export class WsTestClient {
  readonly received: Frame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  private nextSequence = 1;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as Frame;
      this.received.push(frame);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(frame)) return true;
        waiter.resolve(frame);
        return false;
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WsTestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      const client = new WsTestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.socket.send(data, { binary: options.binary ?? false });
  }

  send(frame: Record<string, unknown>): number {
    const sequenceId = typeof frame.sequenceId === 'number' ? frame.sequenceId : this.nextSequence++;
    this.socket.send(JSON.stringify({ ...frame, sequenceId }));
    return sequenceId;
  }

  /** Sends a request and waits for the frame of its response type that echoes its sequenceId (or an Error frame). */
  async request(frame: Record<string, unknown>, timeoutMs = 10000): Promise<Frame> {
    const type = frame.messageType as number;
    const sequenceId = this.send(frame);
    const responseType = RESPONSE_TYPE[type];
    // Deliveries of other users' messages carry their senders' sequenceIds: a 1:1 ack is the ChatResponse without content.
    const isResponse = (f: Frame) =>
      f.sequenceId === sequenceId &&
      (f.messageType === MessageType.Error || (f.messageType === responseType && (type !== MessageType.ChatRequest || f.content === null)));
    return this.next(isResponse, timeoutMs, `response to type ${type} #${sequenceId}`);
  }

  /** The first frame, already received or still to come, that matches. */
  next(match: (frame: Frame) => boolean, timeoutMs = 10000, what = 'frame'): Promise<Frame> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return this.waitFor(match, timeoutMs, what);
  }

  /** The next frame still to come that matches (ignores what was already received). */
  waitFor(match: (frame: Frame) => boolean, timeoutMs = 10000, what = 'frame'): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: Frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`Timed out waiting for ${what}; received: ${JSON.stringify(this.received.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits until `count` frames match, returning them. */
  async collect(match: (frame: Frame) => boolean, count: number, timeoutMs = 10000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const matching = this.received.filter(match);
      if (matching.length >= count) return matching;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`Expected ${count} matching frames, got ${this.received.filter(match).length}`);
  }

  async register(username: string, password: string): Promise<Frame> {
    return this.request({ messageType: MessageType.RegisterRequest, username, password });
  }

  async login(username: string, password: string): Promise<Frame> {
    return this.request({ messageType: MessageType.LoginRequest, username, password });
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(CloseCode.Normal);
  }
}

/** Registers (if needed) and logs in a user on a new connection. */
export async function loggedIn(url: string, username: string, password = 'secret-pass', register = true): Promise<WsTestClient> {
  const client = await WsTestClient.connect(url);
  if (register) {
    const registered = await client.register(username, password);
    if (registered.success !== true && registered.reason !== 'Username is already taken') {
      throw new Error(`register ${username}: ${String(registered.reason)}`);
    }
  }
  const login = await client.login(username, password);
  if (login.success !== true) throw new Error(`login ${username}: ${String(login.reason)}`);
  return client;
}

/** The token of `client`'s successful login. */
export function tokenOf(client: WsTestClient): string {
  return client.received.find((f) => f.messageType === MessageType.LoginResponse && f.success === true)!.token as string;
}

/**
 * Every message of a conversation (`with` or `groupName` in `query`), oldest first, paging back
 * with beforeId until a page is empty; `onPage` sees each answer, the empty one too.
 */
export async function pagedHistory(
  client: WsTestClient,
  query: Record<string, unknown>,
  limit = 100,
  onPage: (page: Frame) => void = () => undefined,
): Promise<Frame[]> {
  const all: Frame[] = [];
  let beforeId: string | undefined;
  for (;;) {
    const page = await client.request({ messageType: MessageType.HistoryRequest, ...query, limit, ...(beforeId ? { beforeId } : {}) });
    onPage(page);
    const messages = page.messages as Frame[] | undefined;
    if (!messages?.length) return all;
    all.unshift(...messages);
    beforeId = messages[0].messageId as string;
  }
}

let userCounter = 0;
/** A fresh valid username for this test run. */
export function uniqueName(prefix = 'u'): string {
  userCounter++;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${userCounter}`;
}
