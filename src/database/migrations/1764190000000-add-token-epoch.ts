import { Migration } from '../migrator';

/** A user's tokens carry the epoch they were issued in; a disable, a logout or a password change moves it on. */
export const AddTokenEpoch1764190000000: Migration = {
  name: 'AddTokenEpoch1764190000000',

  async up(tx) {
    await tx.query(`ALTER TABLE users ADD COLUMN token_epoch integer NOT NULL DEFAULT 0`);
  },
};
