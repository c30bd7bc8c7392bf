import { Client } from 'pg';
import { GROUP_SQL } from '../src/groups/groups.repository';
import { useFixture } from './helpers/fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { migrate } = require('../bench/lib/seed-scale') as { migrate: (url: string) => Promise<void> };

/**
 * The writes of group cursors from many connections at once, as two busy instances issue them: a
 * send's transaction moving its senders' read positions (readOwn, after the group's seq), and
 * batched Acks moving cursors (ackSeqs) of overlapping members, each batch in its own order. Each
 * statement locks its rows in (group_id, user_id) order, so none of them may fail with a deadlock.
 */
describe('group cursor writes under concurrency', () => {
  const fixture = useFixture({ mode: 'cluster' });
  const MEMBERS = 60;
  const WORKERS = 8;
  const ROUNDS = 60;
  const clients: Client[] = [];
  let groupIds: number[] = [];
  let userIds: number[] = [];
  let usernames: string[] = [];

  const shuffled = <T>(items: T[]): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };

  beforeAll(async () => {
    await migrate(fixture.env.databaseUrl);
    for (let i = 0; i < WORKERS; i++) {
      const client = new Client({ connectionString: fixture.env.databaseUrl });
      await client.connect();
      clients.push(client);
    }
    fixture.track({ close: () => Promise.all(clients.map((c) => c.end())).then(() => undefined) });
    const [setup] = clients;
    const tag = `locks${Date.now().toString(36)}`;
    const users = await setup.query<{ id: number; username: string }>(
      `INSERT INTO users (username, password_hash) SELECT $1 || i, 'x' FROM generate_series(1, $2::int) i RETURNING id, username`,
      [tag, MEMBERS],
    );
    userIds = users.rows.map((r) => r.id);
    usernames = users.rows.map((r) => r.username);
    const groups = await setup.query<{ id: number }>(
      `INSERT INTO groups (name, name_key, created_by) SELECT $1 || i, $1 || i, $1 FROM generate_series(1, 2) i RETURNING id`,
      [tag],
    );
    groupIds = groups.rows.map((r) => r.id);
    await setup.query(`INSERT INTO group_members (group_id, user_id) SELECT g, u FROM unnest($1::int[]) g, unnest($2::int[]) u`, [
      groupIds,
      userIds,
    ]);
  });

  it('moves every cursor without a deadlock', async () => {
    let seq = 0;
    const failures: string[] = [];
    await Promise.all(
      clients.map(async (client, worker) => {
        for (let round = 0; round < ROUNDS; round++) {
          try {
            if (worker % 2 === 0) {
              const groupId = groupIds[round % groupIds.length];
              const senders = shuffled(usernames).slice(0, 20);
              await client.query('BEGIN');
              await client.query(GROUP_SQL.advanceSeq, [groupId, senders.length]);
              await client.query(GROUP_SQL.readOwn, [groupId, senders, senders.map(() => String(++seq))]);
              await client.query('COMMIT');
            } else {
              const cursors = shuffled(userIds.flatMap((userId) => groupIds.map((groupId) => ({ userId, groupId })))).slice(0, 80);
              await client.query(GROUP_SQL.ackSeqs, [
                cursors.map((c) => c.userId),
                cursors.map((c) => c.groupId),
                cursors.map(() => ++seq),
              ]);
            }
          } catch (error) {
            failures.push(String(error));
            await client.query('ROLLBACK').catch(() => undefined);
            // A deadlock costs deadlock_timeout (1 s) to detect: one is enough to fail.
            return;
          }
        }
      }),
    );
    expect(failures).toEqual([]);
    const { rows } = await clients[0].query<{ moved: number }>(
      'SELECT count(*)::int AS moved FROM group_members WHERE group_id = ANY($1) AND acked_seq > 0 AND read_seq > 0',
      [groupIds],
    );
    expect(rows[0].moved).toBeGreaterThan(0);
  }, 60_000);
});
