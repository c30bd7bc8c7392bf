import { Migration } from '../migrator';

export const CreateMessages1764180100000: Migration = {
  name: 'CreateMessages1764180100000',

  async up(tx) {
    await tx.query(`
      CREATE TABLE messages (
        id bigserial PRIMARY KEY,
        sender varchar(30) NOT NULL,
        recipient varchar(30),
        group_id integer,
        seq bigint,
        content text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        client_message_id varchar(64),
        sender_sequence_id bigint NOT NULL DEFAULT 0,
        acked boolean NOT NULL DEFAULT false,
        CONSTRAINT messages_one_target CHECK ((recipient IS NULL) <> (group_id IS NULL))
      )`);
    await tx.query(`CREATE UNIQUE INDEX messages_dedup_key ON messages (sender, client_message_id) WHERE client_message_id IS NOT NULL`);
    await tx.query(`CREATE INDEX messages_unacked_idx ON messages (recipient, id) WHERE recipient IS NOT NULL AND NOT acked`);
    await tx.query(
      `CREATE INDEX messages_pair_idx ON messages (least(sender, recipient), greatest(sender, recipient), id) WHERE recipient IS NOT NULL`,
    );
    await tx.query(`CREATE UNIQUE INDEX messages_group_seq_key ON messages (group_id, seq) WHERE group_id IS NOT NULL`);
  },
};
