import { Migration } from '../migrator';

/**
 * The index of conversations and the read positions (docs/protocol.md §3.20, §3.21).
 *
 * `direct_conversations`: one row per pair of users who exchanged a 1:1 message (`user_a` the
 * smaller name), with its last message, each side's read position (a message id, 0 for none) and
 * each side's unread counter. The message log keeps the last message and the counters in the
 * statement that stores a batch of messages (one upsert per pair, covering both parties); a read
 * moves a position and sets its side's counter. Listed per user by the two (user, last_message_id)
 * indexes, so a page of a user's conversations reads a page of index entries.
 *
 * `group_members.read_seq`: a member's read position in a group, as a seq; unread is the group's
 * `last_seq` minus it, so a group message writes nothing per member.
 *
 * Backfill: one aggregate over the 1:1 messages (a sequential read of `messages`, once; about 10 s
 * per 5 million messages), each side's unread its unacknowledged messages, nothing read yet; a
 * member's read position starts at its cursor (what was delivered counts as read: the server had no
 * read positions before). Both run inside the migration's transaction.
 */
export const ConversationsAndReads1764300100000: Migration = {
  name: 'ConversationsAndReads1764300100000',

  async up(tx) {
    await tx.query(`
      CREATE TABLE direct_conversations (
        user_a varchar(30) NOT NULL,
        user_b varchar(30) NOT NULL,
        last_message_id bigint NOT NULL,
        a_read bigint NOT NULL DEFAULT 0,
        b_read bigint NOT NULL DEFAULT 0,
        a_unread integer NOT NULL DEFAULT 0,
        b_unread integer NOT NULL DEFAULT 0,
        PRIMARY KEY (user_a, user_b),
        CONSTRAINT direct_conversations_ordered CHECK (user_a < user_b)
      )`);
    await tx.query(`
      INSERT INTO direct_conversations (user_a, user_b, last_message_id, a_unread, b_unread)
      SELECT least(sender, recipient), greatest(sender, recipient), max(id),
             count(*) FILTER (WHERE NOT acked AND recipient < sender), count(*) FILTER (WHERE NOT acked AND recipient > sender)
      FROM messages WHERE recipient IS NOT NULL AND sender <> recipient
      GROUP BY least(sender, recipient), greatest(sender, recipient)`);
    await tx.query(`CREATE INDEX direct_conversations_a_idx ON direct_conversations (user_a, last_message_id)`);
    await tx.query(`CREATE INDEX direct_conversations_b_idx ON direct_conversations (user_b, last_message_id)`);
    await tx.query(`ALTER TABLE group_members ADD COLUMN read_seq bigint NOT NULL DEFAULT 0`);
    await tx.query(`UPDATE group_members SET read_seq = acked_seq WHERE acked_seq > 0`);
  },
};
