import { Migration } from '../migrator';

/**
 * Second step: validates the bound. It reads the whole table, under a SHARE UPDATE EXCLUSIVE lock
 * that lets reads and writes go on, in a transaction of its own.
 */
export const MessagesPartitionValidate1764200100000: Migration = {
  name: 'MessagesPartitionValidate1764200100000',

  async up(tx) {
    await tx.query(`ALTER TABLE messages VALIDATE CONSTRAINT messages_p0_bound`);
  },
};
