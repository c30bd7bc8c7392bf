import type { PresenceEntry } from '../../../src/protocol';

/** The server takes at most this many usernames in one PresenceRequest. */
export const PRESENCE_BATCH_LIMIT = 200;

/** `usernames` in slices the server takes in one PresenceRequest each. */
export function presenceBatches(usernames: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let start = 0; start < usernames.length; start += PRESENCE_BATCH_LIMIT)
    batches.push(usernames.slice(start, start + PRESENCE_BATCH_LIMIT));
  return batches;
}

/**
 * The users whose presence this client watches, with what it last knew of each. The server ends a
 * subscription with its connection: the client subscribes to these again on every new connection.
 */
export class PresenceWatch {
  private readonly watched = new Map<string, PresenceEntry | undefined>();

  get usernames(): string[] {
    return [...this.watched.keys()];
  }

  add(usernames: readonly string[]): void {
    for (const username of usernames) if (!this.watched.has(username)) this.watched.set(username, undefined);
  }

  /**
   * Records what is now known of a user; false when it says nothing new of a watched one (a copy,
   * or a resubscription that found no change).
   */
  changed(entry: PresenceEntry): boolean {
    if (!this.watched.has(entry.username)) return true;
    const known = this.watched.get(entry.username);
    this.watched.set(entry.username, { username: entry.username, online: entry.online, lastSeen: entry.lastSeen });
    return known === undefined || known.online !== entry.online || known.lastSeen !== entry.lastSeen;
  }

  clear(): void {
    this.watched.clear();
  }
}
