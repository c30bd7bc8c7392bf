import { Delivery } from './delivery';

/** A stored message not yet acknowledged by its recipient, ready to send. */
export interface PendingMessage extends Delivery {
  messageId: string;
  /** A push about the message (MessageChanged), not a copy of it: live copies of the message are not dropped for it. */
  push?: true;
}

/** The sources a login replays, in order: 1:1 messages, then group messages, then the changes of messages (edits, recalls). */
export const OFFLINE_SOURCES = Symbol('OFFLINE_SOURCES');

/** What is stored for one user and not acknowledged, read page by page. */
export interface OfflineReplay {
  /** For ordered conversations of the user: the seq the next live message of each will carry. */
  nextSeqs: Map<string, number>;
  /** A page of pending messages after `afterMessageId`, oldest first; shorter than `limit` at the end. */
  page(afterMessageId: string | null, limit: number): Promise<PendingMessage[]>;
}

/**
 * Where a login finds what was stored for the user while they were away. Features that store
 * messages provide one; the gateway sends their pages oldest first before live traffic.
 */
export abstract class OfflineSource {
  abstract open(username: string): Promise<OfflineReplay>;
}
