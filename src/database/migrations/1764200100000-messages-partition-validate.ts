import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second step: validates the bound. It reads the whole table, under a SHARE UPDATE EXCLUSIVE lock
 * that lets reads and writes go on, in a transaction of its own.
 */
export class MessagesPartitionValidate1764200100000 implements MigrationInterface {
  name = 'MessagesPartitionValidate1764200100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages VALIDATE CONSTRAINT messages_p0_bound`);
  }

  async down(): Promise<void> {
    // Nothing to undo: the constraint goes with the first step.
  }
}
