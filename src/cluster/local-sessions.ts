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
  deliver(delivery: Delivery): void;
  /** Sends a Notice with `reason`, then closes with `code`. */
  kick(code: number, reason: string): void;
  /** Pushes a ReBalance move to `target`; closes with CloseCode.Moved after `graceMs` unless null (a drain closes at its end). */
  move(target: MoveTarget, graceMs: number | null): void;
  /** Asked to move already. */
  readonly moving: boolean;
}

/**
 * Connections written per turn of the event loop when a delivery reaches many (a large group):
 * the rest wait for the next turn, so that a 5,000-member fan-out does not hold every other
 * connection's frames (a bystander's Ping) for the whole of it.
 */
const FANOUT_SLICE = 200;
/**
 * Connection writes waiting at most: past it, what waits is written at once, as without slicing,
 * so that senders faster than the fan-out are held back instead of filling memory.
 */
const FANOUT_BACKLOG_MAX = 100_000;

interface PendingFanout {
  sockets: SessionSocket[];
  next: number;
  delivery: Delivery;
}

/** The logged-in connections of this instance, by user and by session. */
@Injectable()
export class LocalSessions {
  private readonly byUser = new Map<string, Set<SessionSocket>>();
  private readonly bySession = new Map<string, SessionSocket>();
  /** Deliveries still being written, oldest first: a later one never overtakes an earlier one on a connection. */
  private readonly fanouts: PendingFanout[] = [];
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
   * Writes the frame to every local connection of these users; returns the users reached. Up to
   * FANOUT_SLICE connections are written at once; past that (or while an earlier delivery is
   * still being written) the rest follow in slices on the next turns of the event loop, in order.
   */
  deliver(usernames: Iterable<string>, delivery: Delivery): Set<string> {
    const reached = new Set<string>();
    // Written at once while nothing waits and the slice lasts; only what is left is gathered.
    let budget = this.fanouts.length === 0 ? FANOUT_SLICE : 0;
    let rest: SessionSocket[] | undefined;
    for (const username of usernames) {
      const own = this.byUser.get(username);
      if (!own) continue;
      for (const socket of own) {
        if (budget > 0) {
          socket.deliver(delivery);
          budget--;
        } else (rest ??= []).push(socket);
      }
      reached.add(username);
    }
    if (rest === undefined) return reached;
    this.fanouts.push({ sockets: rest, next: 0, delivery });
    this.backlog += rest.length;
    if (this.backlog > FANOUT_BACKLOG_MAX) this.writeWaiting(Infinity);
    else this.schedule();
    return reached;
  }

  private schedule(): void {
    if (this.scheduled || this.fanouts.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writeWaiting(FANOUT_SLICE);
      this.schedule();
    });
  }

  /** Writes up to `budget` waiting connection writes, oldest delivery first. */
  private writeWaiting(budget: number): void {
    while (budget > 0 && this.fanouts.length > 0) {
      const fanout = this.fanouts[0];
      const before = fanout.next;
      write(fanout, budget);
      budget -= fanout.next - before;
      this.backlog -= fanout.next - before;
      if (fanout.next === fanout.sockets.length) this.fanouts.shift();
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

/** Writes the fan-out's next `count` connections at most. */
function write(fanout: PendingFanout, count: number): void {
  const end = Math.min(fanout.sockets.length, fanout.next + count);
  for (let i = fanout.next; i < end; i++) fanout.sockets[i].deliver(fanout.delivery);
  fanout.next = end;
}
