import { Migration } from '../migrator';

export const CreateUsers1764180000000: Migration = {
  name: 'CreateUsers1764180000000',

  async up(tx) {
    await tx.query(`
      CREATE TABLE users (
        id serial PRIMARY KEY,
        username varchar(30) NOT NULL,
        password_hash text NOT NULL,
        status boolean NOT NULL DEFAULT true,
        register_time timestamptz NOT NULL DEFAULT now(),
        last_login_time timestamptz,
        password_error_num integer NOT NULL DEFAULT 0,
        password_error_last_time timestamptz
      )`);
    await tx.query(`CREATE UNIQUE INDEX users_username_key ON users (username)`);
    // Names that differ only in letter case would let one user pass for another.
    await tx.query(`CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username))`);
    await tx.query(`CREATE INDEX users_register_time_idx ON users (register_time DESC, id DESC)`);
  },
};
