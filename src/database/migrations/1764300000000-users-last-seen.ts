import { Migration } from '../migrator';

/** When each user's last session ended (presence, docs/protocol.md §3.18); null for a user never seen offline since. */
export const UsersLastSeen1764300000000: Migration = {
  name: 'UsersLastSeen1764300000000',

  async up(tx) {
    await tx.query(`ALTER TABLE users ADD COLUMN last_seen timestamptz`);
  },
};
