import { Migration } from '../migrator';

/**
 * The 1:1 messages not yet acknowledged move out of `messages` into a narrow table of their own:
 * one `(recipient, message_id)` row per message stored, deleted by the recipient's acknowledgement.
 *
 * Before, the acknowledgement was an UPDATE of the message row (`acked = true`), which the partial
 * index of unacknowledged messages made a non-heap-only update: a new version of the whole row,
 * with its text, and an entry in each of its indexes, per message. Now `messages` is written once
 * per message and never again by delivery, and the acknowledgement deletes a 40-byte row.
 *
 * Backfill: the unacknowledged messages, read by the partial index (only those rows), then the index
 * and the column go (catalog changes). Older versions still write `acked` and no pending row: stop
 * every instance of an older version before this one starts (docs/operations.md, "Upgrading").
 */
export const DirectPending1764300400000: Migration = {
  name: 'DirectPending1764300400000',

  async up(tx) {
    await tx.query(`
      CREATE TABLE direct_pending (
        recipient varchar(30) NOT NULL,
        message_id bigint NOT NULL,
        PRIMARY KEY (recipient, message_id)
      )`);
    await tx.query(`
      INSERT INTO direct_pending (recipient, message_id)
      SELECT recipient, id FROM messages WHERE recipient IS NOT NULL AND NOT acked`);
    await tx.query(`DROP INDEX messages_unacked_all`);
    await tx.query(`ALTER TABLE messages DROP COLUMN acked`);
  },
};
