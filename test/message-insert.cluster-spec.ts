import { Client } from 'pg';
import { MESSAGE_SQL } from '../src/messages/message.store';
import { useFixture } from './helpers/fixture';

type Inserted = { ord: number; inserted: boolean };

/**
 * The 1:1 insert statement on its own (cluster mode: the test needs the database beside the
 * server): which rows of a batch it stores when keys repeat within the batch and against what is
 * stored, and what it writes to the conversation index. The server resolves the rows it did not
 * store (their originals); this checks the statement's own half.
 */
describe('the 1:1 insert statement', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let db: Client;

  beforeAll(async () => {
    await fixture.start();
    db = new Client({ connectionString: fixture.env.databaseUrl });
    await db.connect();
    fixture.track({ close: () => db.end() });
  });

  it('stores the first row of each (sender, clientMessageId) in a batch, every row without one, and counts only the stored', async () => {
    const tag = Date.now().toString(36);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => `${n}${tag}`);
    await db.query('INSERT INTO users (username, password_hash) SELECT unnest($1::text[]), $2', [[a, b, c], 'x']);
    const batch: [string, string, string, string | null][] = [
      [a, b, 'first', 'k1'],
      [a, b, 'repeat of first', 'k1'],
      [a, c, 'no key', null],
      [a, c, 'no key again', null],
      [c, b, 'same key, other sender', 'k1'],
      [a, b, 'second key', 'k2'],
      [a, b, 'second key repeated', 'k2'],
    ];
    const insert = async (rows: typeof batch) =>
      (
        await db.query<Inserted>(MESSAGE_SQL.insertDirect, [
          rows.map((r) => r[0]),
          rows.map((r) => r[1]),
          rows.map((r) => r[2]),
          rows.map((r) => r[3]),
          rows.map((_, i) => i + 1),
          rows.length,
        ])
      ).rows.map((r) => [r.ord, r.inserted]);

    expect(await insert(batch)).toEqual([
      [1, true],
      [2, false],
      [3, true],
      [4, true],
      [5, true],
      [6, true],
      [7, false],
    ]);
    // Again: every keyed row is stored already; the rows without a key are new messages.
    expect(await insert(batch)).toEqual([
      [1, false],
      [2, false],
      [3, true],
      [4, true],
      [5, false],
      [6, false],
      [7, false],
    ]);

    const stored = await db.query<{ content: string }>(
      'SELECT content FROM messages WHERE sender = ANY($1::text[]) AND recipient IS NOT NULL ORDER BY id',
      [[a, b, c]],
    );
    expect(stored.rows.map((r) => r.content)).toEqual([
      'first',
      'no key',
      'no key again',
      'same key, other sender',
      'second key',
      'no key',
      'no key again',
    ]);
    const pending = await db.query<{ recipient: string; n: number }>(
      'SELECT recipient, count(*)::int AS n FROM direct_pending WHERE recipient = ANY($1::text[]) GROUP BY recipient ORDER BY recipient',
      [[a, b, c]],
    );
    expect(pending.rows).toEqual([
      { recipient: b, n: 3 },
      { recipient: c, n: 4 },
    ]);
    const pairs = await db.query<{ user_a: string; user_b: string; a_unread: number; b_unread: number }>(
      'SELECT user_a, user_b, a_unread, b_unread FROM direct_conversations WHERE user_a = ANY($1::text[]) ORDER BY user_a, user_b',
      [[a, b, c]],
    );
    expect(pairs.rows).toEqual([
      { user_a: a, user_b: b, a_unread: 0, b_unread: 2 },
      { user_a: a, user_b: c, a_unread: 0, b_unread: 4 },
      { user_a: b, user_b: c, a_unread: 1, b_unread: 0 },
    ]);
  });
});
