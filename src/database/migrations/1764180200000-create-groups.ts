import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateGroups1764180200000 implements MigrationInterface {
  name = 'CreateGroups1764180200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE groups (
        id serial PRIMARY KEY,
        name varchar(64) NOT NULL,
        created_by varchar(30) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seq bigint NOT NULL DEFAULT 0
      )`);
    // Names are unique cluster-wide by this constraint, not by a check before an insert.
    await queryRunner.query(`CREATE UNIQUE INDEX groups_name_key ON groups (name)`);
    await queryRunner.query(`
      CREATE TABLE group_members (
        group_id integer NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
        user_id integer NOT NULL REFERENCES users (id),
        joined_at timestamptz NOT NULL DEFAULT now(),
        acked_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, user_id)
      )`);
    await queryRunner.query(`CREATE INDEX group_members_user_idx ON group_members (user_id)`);
    // A deleted group takes its messages with it: a new group of the same name starts empty.
    await queryRunner.query(
      `ALTER TABLE messages ADD CONSTRAINT messages_group_fk FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP CONSTRAINT messages_group_fk`);
    await queryRunner.query(`DROP TABLE group_members`);
    await queryRunner.query(`DROP TABLE groups`);
  }
}
