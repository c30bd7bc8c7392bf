import { Injectable } from '@nestjs/common';
import { Delivery } from '../common/delivery';

/** What the cluster needs of a logged-in connection; the gateway's connection implements it. */
export interface SessionSocket {
  readonly sessionId: string;
  /** Set once logged in; only logged-in connections are sessions. */
  readonly username: string | null;
  deliver(delivery: Delivery): void;
  /** Sends a Notice (type 25) with `reason`, then closes with `code`. */
  kick(code: number, reason: string): void;
  /** Pushes a type 21 move to `host`; closes with 4008 after `graceMs` unless null (a drain closes at its end). */
  move(host: string, graceMs: number | null): void;
  /** Asked to move already. */
  readonly moving: boolean;
}

/** The logged-in connections of this instance, by user and by session. */
@Injectable()
export class LocalSessions {
  private readonly byUser = new Map<string, Set<SessionSocket>>();
  private readonly bySession = new Map<string, SessionSocket>();

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

  ofUser(username: string): ReadonlySet<SessionSocket> {
    return this.byUser.get(username) ?? EMPTY;
  }

  /** Writes the frame to every local connection of these users; returns the users reached. */
  deliver(usernames: Iterable<string>, delivery: Delivery): Set<string> {
    const reached = new Set<string>();
    for (const username of usernames) {
      const sockets = this.byUser.get(username);
      if (!sockets) continue;
      for (const socket of sockets) socket.deliver(delivery);
      reached.add(username);
    }
    return reached;
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
