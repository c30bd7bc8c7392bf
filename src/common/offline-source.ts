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

/** A group of the user: their cursor (the last seq acknowledged) and the group's last seq. */
export interface GroupCursor {
  groupId: number;
  ackedSeq: string;
  lastSeq: string;
}

/** What is stored for a user, read in one statement before any page, so that an empty replay costs one round trip. */
export interface PendingSummary {
  /** 1:1 messages not acknowledged. */
  direct: boolean;
  /** Changes (edits, recalls) recorded for the user. */
  changes: boolean;
  /** Every group of the user, pending or not: their seqs order the live stream. */
  groups: GroupCursor[];
}

/** Reads a user's PendingSummary. */
export abstract class PendingProbe {
  abstract pendingOf(username: string): Promise<PendingSummary>;
}

/**
 * Where a login finds what was stored for the user while they were away. Features that store
 * messages provide one; the gateway sends their pages oldest first before live traffic.
 */
export abstract class OfflineSource {
  /** `pending` was read after the session was bound: what it does not show reaches the session live. */
  abstract open(username: string, pending: PendingSummary): Promise<OfflineReplay>;
}
