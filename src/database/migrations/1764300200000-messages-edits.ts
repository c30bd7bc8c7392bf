import { Migration } from '../migrator';

/**
 * Edit and recall (EditRequest, RecallRequest): `messages` gains `edited_at` (null until the
 * message is edited or recalled) and `recalled`. Both are added to the partitioned parent, which
 * passes them to every partition: a nullable column and one with a constant default change the
 * catalog only, no partition is rewritten. An edit finds its row by id, the partition key, so by
 * one partition's primary key.
 *
 * `message_changes` holds, per user, the messages of their conversations changed while they had
 * no live session (one row per user and message, however often it changed); the next login
 * pushes a MessageChanged for each and deletes the row (docs/protocol.md §4.5). No foreign key:
 * a row whose message went with its partition is dropped unsent.
 */
export const MessagesEdits1764300200000: Migration = {
  name: 'MessagesEdits1764300200000',

  async up(tx) {
    await tx.query(`ALTER TABLE messages ADD COLUMN edited_at timestamptz`);
    await tx.query(`ALTER TABLE messages ADD COLUMN recalled boolean NOT NULL DEFAULT false`);
    await tx.query(`
      CREATE TABLE message_changes (
        username varchar(30) NOT NULL,
        message_id bigint NOT NULL,
        changed_at timestamptz NOT NULL,
        CONSTRAINT message_changes_pkey PRIMARY KEY (username, message_id)
      )`);
  },
};
