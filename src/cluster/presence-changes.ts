import { Injectable } from '@nestjs/common';
import { PresenceTransition } from './registry';
import { SessionSocket } from './local-sessions';

/** A user's presence as it travels between instances: `lastSeen` (ISO-8601) is set when they went offline. */
export interface PresenceChange extends PresenceTransition {
  lastSeen: string | null;
}

type Listener<T> = (value: T) => void;

/**
 * Where the cluster tells the presence feature what it sees: transitions found here (a first bind,
 * a last unbind, the janitor's purge of a dead instance), changes that arrived on the bus from
 * other instances, and sessions of this instance that ended. One listener of each per feature, not per connection.
 */
@Injectable()
export class PresenceChanges {
  private readonly found: Listener<PresenceTransition[]>[] = [];
  private readonly arrived: Listener<PresenceChange>[] = [];
  private readonly ended: Listener<SessionSocket>[] = [];

  onFound(listener: Listener<PresenceTransition[]>): void {
    this.found.push(listener);
  }

  onArrived(listener: Listener<PresenceChange>): void {
    this.arrived.push(listener);
  }

  onSessionEnded(listener: Listener<SessionSocket>): void {
    this.ended.push(listener);
  }

  /** Transitions this instance's registry calls found. */
  foundHere(transitions: PresenceTransition[]): void {
    if (transitions.length === 0) return;
    for (const listener of this.found) listener(transitions);
  }

  arrivedFromBus(change: PresenceChange): void {
    for (const listener of this.arrived) listener(change);
  }

  sessionEnded(socket: SessionSocket): void {
    for (const listener of this.ended) listener(socket);
  }
}
