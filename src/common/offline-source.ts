import { Delivery } from './delivery';

/** A stored message not yet acknowledged by its recipient, ready to send. */
export interface PendingMessage extends Delivery {
  messageId: string;
}

/** The sources a login replays, in order: 1:1 messages, then group messages. */
export const OFFLINE_SOURCES = Symbol('OFFLINE_SOURCES');

/**
 * Where a login finds what was stored for the user while they were away. Features that store
 * messages provide one; the gateway sends their pages oldest first before live traffic.
 */
export abstract class OfflineSource {
  /** Pages of pending messages, each page oldest first, until an empty page. */
  abstract pending(username: string, afterMessageId: string | null, limit: number): Promise<PendingMessage[]>;

  /** For ordered conversations of the user: the seq the next live message of each will carry. */
  async nextSeqs(username: string): Promise<Map<string, number>> {
    void username;
    return new Map();
  }
}
