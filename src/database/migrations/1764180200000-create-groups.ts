import { Migration } from '../migrator';

export const CreateGroups1764180200000: Migration = {
  name: 'CreateGroups1764180200000',

  async up(tx) {
    await tx.query(`
      CREATE TABLE groups (
        id serial PRIMARY KEY,
        name varchar(64) NOT NULL,
        created_by varchar(30) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seq bigint NOT NULL DEFAULT 0
      )`);
    // Names are unique cluster-wide by this constraint, not by a check before an insert.
    await tx.query(`CREATE UNIQUE INDEX groups_name_key ON groups (name)`);
    await tx.query(`
      CREATE TABLE group_members (
        group_id integer NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
        user_id integer NOT NULL REFERENCES users (id),
        joined_at timestamptz NOT NULL DEFAULT now(),
        acked_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, user_id)
      )`);
    await tx.query(`CREATE INDEX group_members_user_idx ON group_members (user_id)`);
    // A deleted group takes its messages with it: a new group of the same name starts empty.
    await tx.query(`ALTER TABLE messages ADD CONSTRAINT messages_group_fk FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE`);
  },
};
