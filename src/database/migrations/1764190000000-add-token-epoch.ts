import { MigrationInterface, QueryRunner } from 'typeorm';

/** A user's tokens carry the epoch they were issued in; a disable, a logout or a password change moves it on. */
export class AddTokenEpoch1764190000000 implements MigrationInterface {
  name = 'AddTokenEpoch1764190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN token_epoch integer NOT NULL DEFAULT 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN token_epoch`);
  }
}
