import { Injectable } from '@nestjs/common';
import { Delivery } from '../common/delivery';

/** The instance a ReBalance tells a client to move to: its `ip:port` and the URL clients reach it at. */
export interface MoveTarget {
  host: string;
  url: string;
}

/** What the cluster needs of a logged-in connection; the gateway's connection implements it. */
export interface SessionSocket {
  readonly sessionId: string;
  /** Set once logged in; only logged-in connections are sessions. */
  readonly username: string | null;
  /** False once closing: what is written to it is dropped. */
  readonly isOpen: boolean;
  deliver(delivery: Delivery): void;
  /** Sends a Notice with `reason`, then closes with `code`. */
  kick(code: number, reason: string): void;
  /** Pushes a ReBalance move to `target`; closes with CloseCode.Moved after `graceMs` unless null (a drain closes at its end). */
  move(target: MoveTarget, graceMs: number | null): void;
  /** Asked to move already. */
  readonly moving: boolean;
}

/**
 * Frames written per turn of the event loop when deliveries reach many connections (a large
 * group): the rest wait for the next turn, so that a 5,000-member fan-out does not hold every
 * other connection's frames (a bystander's Ping) for the whole of it.
 */
const FANOUT_SLICE = 200;
/**
 * Frames waiting at most: past it, what waits is written at once, as without slicing, so that
 * senders faster than the fan-out are held back instead of filling memory.
 */
const FANOUT_BACKLOG_MAX = 100_000;

/** The logged-in connections of this instance, by user and by session. */
@Injectable()
export class LocalSessions {
  private readonly byUser = new Map<string, Set<SessionSocket>>();
  private readonly bySession = new Map<string, SessionSocket>();
  /**
   * Deliveries still to be written, by connection, each connection's in the order they came (a
   * later one never overtakes an earlier one), connections in the order they began to wait. A
   * connection is written all it waits for at once: consecutive group messages leave in one
   * `writev` rather than one each.
   */
  private readonly waiting = new Map<SessionSocket, Delivery | Delivery[]>();
  private backlog = 0;
  private scheduled = false;

  add(socket: SessionSocket): void {
    if (socket.username === null) throw new Error('Only a logged-in connection is a session');
    let sockets = this.byUser.get(socket.username);
    if (!sockets) this.byUser.set(socket.username, (sockets = new Set()));
    sockets.add(socket);
    this.bySession.set(socket.sessionId, socket);
  }

  remove(socket: SessionSocket): boolean {
    if (this.bySession.get(socket.sessionId) !== socket) return false;
    this.bySession.delete(socket.sessionId);
    if (socket.username === null) return true;
    const sockets = this.byUser.get(socket.username);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.byUser.delete(socket.username);
    return true;
  }

  session(sessionId: string): SessionSocket | undefined {
    return this.bySession.get(sessionId);
  }

  /** The session behind a frame's context (the gateway's connection is both), when it is one of this user's here. */
  sessionOf(username: string, context: object): SessionSocket | undefined {
    const sockets = this.byUser.get(username);
    return sockets?.has(context as SessionSocket) ? (context as SessionSocket) : undefined;
  }

  ofUser(username: string): ReadonlySet<SessionSocket> {
    return this.byUser.get(username) ?? EMPTY;
  }

  /**
   * Writes the frame to every local connection of these users; returns the users reached (a user
   * whose connections here are all closing is not: they may be on another instance already). Up to
   * FANOUT_SLICE connections are written at once; past that (or while earlier deliveries are
   * still waiting) the rest follow on the next turns of the event loop, in order.
   */
  deliver(usernames: Iterable<string>, delivery: Delivery): Set<string> {
    const reached = new Set<string>();
    // Written at once while nothing waits and the slice lasts; only what is left waits.
    let budget = this.waiting.size === 0 ? FANOUT_SLICE : 0;
    let held = false;
    for (const username of usernames) {
      const own = this.byUser.get(username);
      if (!own) continue;
      let open = false;
      for (const socket of own) {
        open ||= socket.isOpen;
        if (budget > 0) {
          socket.deliver(delivery);
          budget--;
        } else {
          this.hold(socket, delivery);
          held = true;
        }
      }
      if (open) reached.add(username);
    }
    if (!held) return reached;
    if (this.backlog > FANOUT_BACKLOG_MAX) this.writeWaiting(Infinity);
    else this.schedule();
    return reached;
  }

  private hold(socket: SessionSocket, delivery: Delivery): void {
    const waiting = this.waiting.get(socket);
    // One waiting delivery, the common case, is kept without an array.
    if (waiting === undefined) this.waiting.set(socket, delivery);
    else if (Array.isArray(waiting)) waiting.push(delivery);
    else this.waiting.set(socket, [waiting, delivery]);
    this.backlog++;
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writeWaiting(FANOUT_SLICE);
      this.schedule();
    });
  }

  /** Writes waiting connections, longest waiting first, each all it waits for, until `budget` frames are written. */
  private writeWaiting(budget: number): void {
    for (const [socket, waiting] of this.waiting) {
      if (budget <= 0) return;
      this.waiting.delete(socket);
      if (Array.isArray(waiting)) {
        for (const delivery of waiting) socket.deliver(delivery);
        budget -= waiting.length;
        this.backlog -= waiting.length;
      } else {
        socket.deliver(waiting);
        budget--;
        this.backlog--;
      }
    }
  }

  all(): IterableIterator<SessionSocket> {
    return this.bySession.values();
  }

  get userCount(): number {
    return this.byUser.size;
  }

  get sessionCount(): number {
    return this.bySession.size;
  }
}

const EMPTY: ReadonlySet<SessionSocket> = new Set();
