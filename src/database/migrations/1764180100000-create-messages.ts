import { Migration } from '../migrator';
import { MESSAGE_COLUMNS_SINCE_1764180100000 } from './messages-columns';

export const CreateMessages1764180100000: Migration = {
  name: 'CreateMessages1764180100000',

  async up(tx) {
    await tx.query(`
      CREATE TABLE messages (
        id bigserial PRIMARY KEY,${MESSAGE_COLUMNS_SINCE_1764180100000}
      )`);
    await tx.query(`CREATE UNIQUE INDEX messages_dedup_key ON messages (sender, client_message_id) WHERE client_message_id IS NOT NULL`);
    await tx.query(`CREATE INDEX messages_unacked_idx ON messages (recipient, id) WHERE recipient IS NOT NULL AND NOT acked`);
    await tx.query(
      `CREATE INDEX messages_pair_idx ON messages (least(sender, recipient), greatest(sender, recipient), id) WHERE recipient IS NOT NULL`,
    );
    await tx.query(`CREATE UNIQUE INDEX messages_group_seq_key ON messages (group_id, seq) WHERE group_id IS NOT NULL`);
  },
};
