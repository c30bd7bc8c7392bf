import type { PresenceEntry } from '../../../src/protocol';
import type { ChatMessage } from './inbox';

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'moved' | 'closed';

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

/** Someone typing to us (`kind: 'chat'`, `to` is our own name) or in one of our groups. */
export type TypingEvent = { kind: 'chat'; from: string; to: string } | { kind: 'group'; from: string; groupName: string };

/** One read of a group: `from` read it up to and including `messageId`. */
export interface GroupRead {
  from: string;
  messageId: string;
}

/**
 * Someone read a conversation up to and including `messageId`: the peer of a 1:1 conversation
 * (`with` names the conversation as we see it: the peer), a member of a group, or we ourselves
 * (`from` is our own name: any of our sessions, this one included). Group receipts are coalesced
 * (at most one a second): `reads` holds every read of the window, the latest (`from`, `messageId`) last.
 */
export type ReadReceiptEvent =
  | { kind: 'chat'; from: string; with: string; messageId: string }
  | { kind: 'group'; from: string; groupName: string; messageId: string; reads: GroupRead[] };

/** A message was edited (`content` is the new text) or recalled (`recalled: true`, no content) by its sender. */
export type MessageChangedEvent = (
  { kind: 'chat'; messageId: string; from: string; to: string } | { kind: 'group'; messageId: string; from: string; groupName: string }
) & { content?: string; recalled: boolean; editedAt: string };

export interface ChatClientEvents {
  message: ChatMessage;
  /** A watched user came online or went offline (see `presence(usernames, { subscribe: true })`). */
  presence: PresenceEntry;
  typing: TypingEvent;
  readReceipt: ReadReceiptEvent;
  messageChanged: MessageChangedEvent;
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
