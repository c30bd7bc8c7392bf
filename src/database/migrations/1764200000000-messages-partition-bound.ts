import { Migration } from '../migrator';

/**
 * First of three steps that turn `messages` into a partitioned table without a long lock: the
 * existing table becomes the first partition in place, so no row moves. This step declares the
 * bound of that partition, NOT VALID (no scan, a brief lock).
 */
export const MessagesPartitionBound1764200000000: Migration = {
  name: 'MessagesPartitionBound1764200000000',

  async up(tx) {
    await tx.query(`ALTER TABLE messages ADD CONSTRAINT messages_p0_bound CHECK (id IS NOT NULL AND id < 10000000000) NOT VALID`);
  },
};
