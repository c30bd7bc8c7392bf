import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { MoveTarget, SessionSocket } from '../cluster/local-sessions';
import { Delivery, frameBytes } from '../common/delivery';
import { ResponseFields } from '../handlers/frame';
import { FrameContext } from '../handlers/frame-route';
import { CloseCode, MessageType } from '../protocol';
import { nowIso } from './frame';
import { StreamOrder } from './stream-order';

export interface ConnectionLimits {
  maxBufferedBytes: number;
  ratePerSec: number;
  burst: number;
}

/** How long a slow consumer's buffered output may still drain after its close. */
const SLOW_CONSUMER_GRACE_MS = 5000;
/** How soon a connection whose login was still running at its deadline is looked at again. */
const LOGIN_RECHECK_MS = 1000;
/** Live deliveries held during an offline replay, at most: past either limit the client is a slow consumer. */
const REPLAY_QUEUE_MAX = 10_000;
/** How long a group message that overtook an earlier one waits for it. */
const ORDER_GAP_WAIT_MS = 1000;
const ORDER_MAX_HELD = 1000;
/** Ordered messages written and not yet acknowledged whose place this connection remembers (the oldest is forgotten first). */
export const DELIVERED_SEQS_MAX = 256;
/** A frame given as UTF-8 bytes still goes out as text: ws sends the Buffer as it is, without a copy. */
const TEXT_FRAME = { binary: false };

/** One WebSocket client: its login, its rate budget, and the frames it is sent. Its state changes through its methods only. */
export class ChatConnection implements SessionSocket, FrameContext {
  /** Made when a log line first names the connection: most connections never need one. */
  private logId?: string;
  private user: string | null = null;
  private session = '';
  private activeAt = Date.now();
  /** A login in progress: other logins on this connection wait for it to finish. */
  private loggingIn = false;
  private movingAway = false;
  /** The login of `?token=` while it runs: frames that arrive meanwhile wait for it. */
  private pendingLogin: Promise<void> | null = null;

  private tokens: number;
  private refilledAt = Date.now();
  private refusedInWindow = 0;
  private refusalWindowStart = Date.now();
  /** While offline messages are replayed, live deliveries wait here so that the replay comes first. */
  private replayQueue: Delivery[] | null = null;
  private replayQueueBytes = 0;
  private replayedIds: Set<string> | null = null;
  /** Counts replays begun, so that a replay that outlived a logout cannot end its successor's. */
  private replayGeneration = 0;
  /** A resync was asked for while a replay ran: it runs once that replay ends. */
  private resyncAsked = false;
  private moveTimer?: NodeJS.Timeout;
  private loginTimer?: NodeJS.Timeout;
  /** The TCP socket this connection corked in this tick, if any. */
  private corked?: Socket;
  /** When the login timer ends: a login undone (its session could not be kept) is held to it again. */
  private loginDeadline = 0;
  /** Made on the first ordered delivery: most connections of a quiet server never need one. */
  private ordering?: StreamOrder;
  /** messageId → [stream, seq] of the ordered messages written to this connection and not yet acknowledged (made on the first). */
  private deliveredSeqs?: Map<string, [string, number]>;

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string,
    private readonly limits: ConnectionLimits,
  ) {
    this.tokens = limits.burst;
  }

  get id(): string {
    this.logId ??= randomBytes(8).toString('hex');
    return this.logId;
  }

  get username(): string | null {
    return this.user;
  }

  get sessionId(): string {
    return this.session;
  }

  get lastActivity(): number {
    return this.activeAt;
  }

  get moving(): boolean {
    return this.movingAway;
  }

  get connectLogin(): Promise<void> | null {
    return this.pendingLogin;
  }

  /** The peer was heard from: a frame or a pong. */
  touch(): void {
    this.activeAt = Date.now();
  }

  /** Starts a login; false when one is in progress already. */
  beginLogin(): boolean {
    if (this.loggingIn) return false;
    this.loggingIn = true;
    return true;
  }

  endLogin(): void {
    this.loggingIn = false;
  }

  /** Holds the frames that arrive while the login of `?token=` runs. */
  loginOnConnect(login: Promise<void>): void {
    this.pendingLogin = login.finally(() => (this.pendingLogin = null));
  }

  /** A new session: nothing held for an earlier one is still owed to this connection. */
  loggedIn(username: string, sessionId: string): void {
    // The login deadline is met: its timer would otherwise stay until it fires.
    clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
    this.user = username;
    this.session = sessionId;
    this.deliveredSeqs = undefined;
    this.abortReplay();
  }

  /** A login whose session could not be kept: not logged in, nothing of its replay held. */
  loginUndone(): void {
    this.user = null;
    this.deliveredSeqs = undefined;
    this.abortReplay();
    // The deadline of the connection's first login holds again.
    this.startLoginTimer(Math.max(0, this.loginDeadline - Date.now()));
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a response or push; `time` is set here on everything the server sends. */
  send(fields: ResponseFields): void {
    fields.time ??= nowIso();
    this.write(JSON.stringify(fields));
  }

  deliver(delivery: Delivery): void {
    if (this.replayQueue) {
      // Held in memory until the replay ends: bounded like unsent output, the messages stay stored.
      this.replayQueueBytes += delivery.frame.length;
      if (this.replayQueue.length >= REPLAY_QUEUE_MAX || this.replayQueueBytes > this.limits.maxBufferedBytes) {
        this.abortReplay();
        this.closeSlowConsumer();
        return;
      }
      this.replayQueue.push(delivery);
      return;
    }
    this.pass(delivery);
  }

  private pass(delivery: Delivery): void {
    if (delivery.stream === undefined && delivery.opens === undefined) this.write(frameBytes(delivery));
    else this.orderer.offer(delivery);
  }

  private get orderer(): StreamOrder {
    this.ordering ??= new StreamOrder(
      (delivery) => {
        this.noteDelivered(delivery);
        this.write(frameBytes(delivery));
      },
      ORDER_GAP_WAIT_MS,
      ORDER_MAX_HELD,
    );
    return this.ordering;
  }

  /** Remembers where an ordered message written here stands, so that its Ack needs no lookup of it. */
  private noteDelivered(delivery: Delivery): void {
    if (delivery.messageId === undefined || delivery.stream === undefined || delivery.seq === undefined) return;
    const seqs = (this.deliveredSeqs ??= new Map());
    seqs.set(delivery.messageId, [delivery.stream, delivery.seq]);
    if (seqs.size > DELIVERED_SEQS_MAX) seqs.delete(seqs.keys().next().value!);
  }

  /**
   * Splits acknowledged ids into the ordered messages this connection wrote (with the highest seq
   * of each stream among them, forgotten here now) and the others, which the caller looks up.
   */
  takeDeliveredSeqs(ids: string[]): { seqs: Map<string, number>; others: string[] } {
    const seqs = new Map<string, number>();
    const known = this.deliveredSeqs;
    if (known === undefined || known.size === 0) return { seqs, others: ids };
    const others: string[] = [];
    for (const id of ids) {
      const place = known.get(id);
      if (place === undefined) {
        others.push(id);
        continue;
      }
      known.delete(id);
      const [stream, seq] = place;
      if (seq > (seqs.get(stream) ?? 0)) seqs.set(stream, seq);
    }
    return { seqs, others };
  }

  /** The seq the next live message of an ordered conversation will carry. */
  expectSeq(stream: string, next: number): void {
    this.orderer.expect(stream, next);
  }

  /**
   * Starts an offline replay: live deliveries are held until `endReplay`. One replay at a time:
   * while one runs, this returns 0 and records that another is wanted (`endReplay` says so), so
   * that two replays never share the held deliveries and none is dropped. Otherwise it returns
   * the replay's number, for `endReplay`.
   */
  beginReplay(): number {
    if (this.replayQueue !== null) {
      this.resyncAsked = true;
      return 0;
    }
    this.replayQueue = [];
    this.replayQueueBytes = 0;
    this.replayedIds = new Set();
    this.resyncAsked = false;
    return ++this.replayGeneration;
  }

  replay(message: Delivery & { messageId: string; push?: true }): void {
    if (!message.push) this.replayedIds?.add(message.messageId);
    if (message.stream !== undefined && message.seq !== undefined) {
      this.orderer.passed(message.stream, message.seq);
      this.noteDelivered(message);
    }
    this.write(message.frame);
  }

  /**
   * Resolves once the unsent output is below half the limit, so that a large replay waits for
   * the client instead of being taken for a slow consumer. Undefined when there is room already.
   */
  writable(timeoutMs: number): Promise<void> | undefined {
    const threshold = this.limits.maxBufferedBytes / 2;
    if (this.socket.bufferedAmount <= threshold) return undefined;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.isOpen) reject(new Error('connection closed'));
        else if (this.socket.bufferedAmount <= threshold) resolve();
        else if (Date.now() > deadline) {
          this.close(CloseCode.TryAgainLater, 'Slow consumer');
          reject(new Error('slow consumer'));
        } else setTimeout(check, 10);
      };
      check();
    });
  }

  /** Ends a replay that never started: what was held is dropped (it is stored and unacknowledged). */
  abortReplay(): void {
    this.replayQueue = null;
    this.replayQueueBytes = 0;
    this.replayedIds = null;
    this.resyncAsked = false;
  }

  /**
   * Ends replay `generation`: the held live deliveries go out, those the replay sent already
   * dropped. Returns true when a resync was asked for meanwhile (the caller runs it now).
   */
  endReplay(generation: number): boolean {
    if (generation !== this.replayGeneration || this.replayQueue === null) return false;
    const queue = this.replayQueue;
    const replayed = this.replayedIds;
    const again = this.resyncAsked;
    this.replayQueue = null;
    this.replayQueueBytes = 0;
    this.replayedIds = null;
    this.resyncAsked = false;
    for (const pending of queue) {
      if (pending.messageId && replayed?.has(pending.messageId)) continue;
      this.pass(pending);
    }
    return again && this.isOpen && this.username !== null;
  }

  kick(code: number, reason: string): void {
    if (!this.isOpen) return;
    this.send({ messageType: MessageType.Notice, sequenceId: 0, reason });
    this.close(code, reason);
  }

  move(target: MoveTarget, graceMs: number | null): void {
    if (!this.isOpen) return;
    this.movingAway = true;
    this.send({ messageType: MessageType.ReBalance, sequenceId: 0, success: true, reason: null, host: target.host, url: target.url });
    clearTimeout(this.moveTimer);
    if (graceMs === null) return;
    this.moveTimer = setTimeout(() => this.close(CloseCode.Moved, 'Moved to another instance'), graceMs);
    this.moveTimer.unref();
  }

  /** Closes the connection with a Notice unless it logged in within `timeoutMs`; started again by a logout. */
  startLoginTimer(timeoutMs: number): void {
    clearTimeout(this.loginTimer);
    this.loginDeadline = Date.now() + timeoutMs;
    this.loginTimer = setTimeout(() => {
      if (this.username !== null) return;
      // A login that is being checked decides; if it fails, the deadline has passed already.
      if (this.loggingIn || this.pendingLogin !== null) this.startLoginTimer(LOGIN_RECHECK_MS);
      else this.kick(CloseCode.LoginTimeout, 'Not logged in in time');
    }, timeoutMs);
    this.loginTimer.unref();
  }

  /**
   * Output that waits to be sent, our pongs to the client's pings included, past the limit: the
   * client does not read. Closed rather than buffering without bound; its messages stay stored.
   */
  checkOutput(): boolean {
    if (this.socket.bufferedAmount <= this.limits.maxBufferedBytes) return true;
    this.closeSlowConsumer();
    return false;
  }

  private closeSlowConsumer(): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.close(CloseCode.TryAgainLater, 'Slow consumer');
    setTimeout(() => this.socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  /** After a logout: the connection stays open, not logged in, and must log in again in time. */
  loggedOut(loginTimeoutMs: number): void {
    this.abortReplay();
    this.user = null;
    this.session = '';
    this.ordering?.close();
    this.ordering = undefined;
    this.deliveredSeqs = undefined;
    this.startLoginTimer(loginTimeoutMs);
  }

  /** The socket closed: nothing of this connection may still run. */
  dispose(): void {
    clearTimeout(this.moveTimer);
    clearTimeout(this.loginTimer);
    this.ordering?.close();
  }

  close(code: number, reason: string): void {
    clearTimeout(this.moveTimer);
    clearTimeout(this.loginTimer);
    this.ordering?.close();
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason.slice(0, 120));
    }
  }

  /** Token bucket; returns false when the request is over the limit. */
  takeToken(now = Date.now()): boolean {
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.limits.ratePerSec);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Counts a refused request; true when the client keeps flooding (more refusals in a second than the burst). */
  isFlooding(burst: number, now = Date.now()): boolean {
    if (now - this.refusalWindowStart > 1000) {
      this.refusalWindowStart = now;
      this.refusedInWindow = 0;
    }
    this.refusedInWindow++;
    return this.refusedInWindow > burst;
  }

  /** A delivery's frame comes as the bytes all its connections share; a response or replayed message as a string. */
  private write(frame: string | Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // Checked before writing, so that one large frame (a history page) is not taken for a backlog.
    if (!this.checkOutput()) return;
    this.cork();
    this.socket.send(frame, TEXT_FRAME);
  }

  /** The frames written to this connection within one tick leave in one `writev`, not one syscall each. */
  private cork(): void {
    if (this.corked) return;
    const tcp = (this.socket as unknown as { _socket?: Socket })._socket;
    if (!tcp) return;
    this.corked = tcp;
    tcp.cork();
    if (corkedThisTick.length === 0) process.nextTick(uncorkAll);
    corkedThisTick.push(this);
  }

  /** Called once per tick for every connection corked in it (`uncorkAll`). */
  uncork(): void {
    this.corked?.uncork();
    this.corked = undefined;
  }
}

/** The connections corked in this tick: one callback uncorks them all, rather than one closure each (a fan-out corks hundreds). */
let corkedThisTick: ChatConnection[] = [];

function uncorkAll(): void {
  const corked = corkedThisTick;
  corkedThisTick = [];
  for (const connection of corked) connection.uncork();
}
