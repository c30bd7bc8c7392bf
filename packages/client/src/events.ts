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
