import { Client } from 'pg';
import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { loggedIn } from './helpers/ws-client';

/**
 * The migration that makes group names unique regardless of case, on a database that already
 * holds groups whose names differ only in case: it reports them and the instance starts.
 */
describe('group name keys migration (cluster)', () => {
  const fixture = useFixture({ mode: 'cluster', settings: { LOG_LEVEL: 'info' } });

  it(
    'reports groups that clash by case instead of failing; they stay reachable by their exact names, ' + 'and new clashes are refused',
    async () => {
      const older = await fixture.start();
      const { name: owner, client: ownerClient } = await fixture.user(older, 'own');
      ownerClient.close();
      await older.stop();

      // The database as an older version left it: no name keys, and two names that differ only in case.
      const db = new Client({ connectionString: fixture.env.databaseUrl });
      await db.connect();
      try {
        await db.query(`DELETE FROM schema_migrations WHERE name = 'GroupNameKeys1764190100000'`);
        await db.query('DROP INDEX groups_name_key_key');
        await db.query('ALTER TABLE groups DROP COLUMN name_key');
        const [{ id }] = (await db.query<{ id: number }>('SELECT id FROM users WHERE username = $1', [owner])).rows;
        for (const name of ['Team', 'team', 'other']) {
          const group = await db.query<{ id: number }>('INSERT INTO groups (name, created_by) VALUES ($1, $2) RETURNING id', [name, owner]);
          await db.query('INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)', [group.rows[0].id, id]);
        }
      } finally {
        await db.end();
      }

      const server = await fixture.start();
      // (In the JSON log line the quotes are escaped.)
      expect(server.logs).toMatch(
        /Group names that differ only in letter case or normal form: \\?"Team\\?" \(id \d+\), \\?"team\\?" \(id \d+\)/,
      );
      const client = await loggedIn(server.wsUrl, owner, 'secret-pass', false);
      try {
        for (const name of ['Team', 'team']) {
          expect(await client.request({ messageType: MessageType.GroupMembersRequest, groupName: name })).toMatchObject({
            success: true,
            groupName: name,
            members: [owner],
          });
        }
        for (const name of ['TEAM', 'Other']) {
          expect(await client.request({ messageType: MessageType.GroupCreateRequest, groupName: name })).toMatchObject({
            success: false,
            reason: 'Group name is already taken',
          });
        }
        expect(await client.request({ messageType: MessageType.GroupCreateRequest, groupName: 'fresh name' })).toMatchObject({
          success: true,
        });
        expect(await client.request({ messageType: MessageType.GroupCreateRequest, groupName: 'FRESH NAME' })).toMatchObject({
          success: false,
          reason: 'Group name is already taken',
        });
      } finally {
        client.close();
      }
    },
  );
});
