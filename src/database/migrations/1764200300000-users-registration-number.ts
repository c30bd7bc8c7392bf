import { Migration } from '../migrator';

/**
 * Users get a dense registration number (1, 2, 3, … in registration order; users are never
 * deleted), so /user/page finds any page of the unfiltered list by an index range instead of
 * skipping an offset, and counts the users by the index's highest entry. A BEFORE INSERT trigger
 * numbers every insert, whoever makes it, under an advisory lock held to the commit, so that
 * concurrent registrations cannot take the same number and a failed one leaves no gap.
 */
export const UsersRegistrationNumber1764200300000: Migration = {
  name: 'UsersRegistrationNumber1764200300000',

  async up(tx) {
    await tx.query(`ALTER TABLE users ADD COLUMN reg_no integer`);
    await tx.query(`
      UPDATE users u SET reg_no = r.n
      FROM (SELECT id, row_number() OVER (ORDER BY register_time, id) AS n FROM users) r
      WHERE u.id = r.id`);
    await tx.query(`ALTER TABLE users ALTER COLUMN reg_no SET NOT NULL`);
    await tx.query(`CREATE UNIQUE INDEX users_reg_no_key ON users (reg_no)`);
    await tx.query(`
      CREATE FUNCTION users_number() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(726100004);
        NEW.reg_no := coalesce((SELECT max(reg_no) FROM users), 0) + 1;
        RETURN NEW;
      END $$`);
    await tx.query(`CREATE TRIGGER users_number BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_number()`);
  },
};
