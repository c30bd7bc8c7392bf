import { Client } from 'pg';
import { MESSAGE_SQL } from '../src/messages/message.store';
import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';

type Entry = { with?: string; unread: number };

/**
 * A user with thousands of conversations, seeded in PostgreSQL through the send statement itself
 * (so the per-pair rows are written as a send writes them). Cluster mode only: the seed needs a
 * database the test can reach beside the server. S6 of the bench measures the pages' cost.
 */
describe('conversations at scale', () => {
  const fixture = useFixture({ mode: 'cluster', closeClientsAfterEach: true });
  let server: Instance;

  beforeAll(async () => {
    server = await fixture.start();
  });

  it('serves a user with 3,000 conversations page by page, each once, seeded through the send statement', async () => {
    const owner = await fixture.user(server, 'ck');
    const db = new Client({ connectionString: fixture.env.databaseUrl });
    await db.connect();
    const count = 3000;
    const peers = Array.from({ length: count }, (_, i) => `${owner.name.slice(0, 20)}p${i}`);
    try {
      await db.query('INSERT INTO users (username, password_hash) SELECT unnest($1::text[]), $2', [peers, 'x']);
      await db.query(MESSAGE_SQL.insertDirect, [
        peers,
        peers.map(() => owner.name),
        peers.map((p) => `hi from ${p}`),
        peers.map(() => null),
        peers.map(() => 1),
        count,
      ]);
    } finally {
      await db.end();
    }
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await owner.client.request({
        messageType: MessageType.ConversationsRequest,
        ...(cursor ? { limit: 100, before: cursor } : { limit: 100 }),
      });
      expect(response).toMatchObject({ messageType: MessageType.ConversationsResponse, success: true });
      const page = response as unknown as { conversations: Entry[]; next: string | null };
      expect(page.conversations.length).toBeLessThanOrEqual(100);
      for (const entry of page.conversations) {
        expect(seen.has(entry.with!)).toBe(false);
        seen.add(entry.with!);
        expect(entry.unread).toBe(1);
      }
      cursor = page.next;
      pages += 1;
    } while (cursor !== null);
    expect(seen.size).toBe(count);
    expect(pages).toBe(count / 100);
  }, 120_000);
});
