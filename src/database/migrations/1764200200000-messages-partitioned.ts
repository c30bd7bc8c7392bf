import { Migration } from '../migrator';
import { MESSAGE_COLUMNS_SINCE_1764180100000 } from './messages-columns';

/**
 * Third step: `messages` becomes a table partitioned by id ranges, and the table it was becomes
 * its first partition, `messages_p0`. Every statement here changes the catalog only: the valid
 * bound of step one spares the attach its scan, and the parent's indexes adopt the partition's
 * equal ones instead of building. Ids follow time, and each partition takes one period of them
 * (see MessagePartitions, which creates the next partition ahead and rolls over).
 *
 * A unique index of a partitioned table must contain the partition key, so the dedup key
 * (sender, client_message_id) and (group_id, seq) are unique per partition, by indexes each
 * partition has of its own; MessageStore looks a clientMessageId up in every partition.
 */
export const MessagesPartitioned1764200200000: Migration = {
  name: 'MessagesPartitioned1764200200000',

  async up(tx) {
    await tx.query(`ALTER TABLE messages RENAME TO messages_p0`);
    await tx.query(`
      CREATE TABLE messages (
        id bigint NOT NULL DEFAULT nextval('messages_id_seq'),${MESSAGE_COLUMNS_SINCE_1764180100000},
        CONSTRAINT messages_group_fk FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE,
        CONSTRAINT messages_id_pkey PRIMARY KEY (id)
      ) PARTITION BY RANGE (id)`);
    // The sequence outlives every partition: dropping messages_p0 must not take it along.
    await tx.query(`ALTER SEQUENCE messages_id_seq OWNED BY messages.id`);
    await tx.query(`ALTER TABLE messages ATTACH PARTITION messages_p0 FOR VALUES FROM (MINVALUE) TO (10000000000)`);
    await tx.query(`ALTER TABLE messages_p0 DROP CONSTRAINT messages_p0_bound`);
    await tx.query(`CREATE INDEX messages_unacked_all ON messages (recipient, id) WHERE recipient IS NOT NULL AND NOT acked`);
    await tx.query(
      `CREATE INDEX messages_pair_all ON messages (least(sender, recipient), greatest(sender, recipient), id) WHERE recipient IS NOT NULL`,
    );
    await tx.query(`
      CREATE TABLE message_partitions (
        k integer PRIMARY KEY,
        opened_at timestamptz
      )`);
    await tx.query(`INSERT INTO message_partitions (k, opened_at) VALUES (0, now())`);
  },
};
