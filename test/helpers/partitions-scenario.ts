import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordHasher } from '../../src/auth/password-hasher';
import { LocalSessions } from '../../src/cluster/local-sessions';
import { AppConfig } from '../../src/config/app-config';
import { Database } from '../../src/database/database';
import { migratedDatabase } from '../../src/database/database.providers';
import { MIGRATIONS } from '../../src/database/migrations';
import { migrate } from '../../src/database/migrator';
import { openDatabase } from '../../src/database/open-database';
import { MessagePartitions, PARTITION_SPAN } from '../../src/messages/message-partitions';
import { GroupsRepository } from '../../src/groups/groups.repository';
import { MessageStore } from '../../src/messages/message.store';
import { MetricsService } from '../../src/metrics/metrics.service';
import { expect } from 'expect';
import { runScenarioProcess } from './scenario-process';

/**
 * The scenarios of test/partitions.e2e-spec.ts, run in a process of their own (PGlite loads as an
 * ES module, which jest's sandbox does not): `node -r ts-node/register/transpile-only
 * test/helpers/partitions-scenario.ts NAME`, with TEST_MODE and, in cluster mode,
 * PARTITIONS_DATABASE_URL. Exits 0 when every expectation holds.
 */

const DAY = 86_400_000;
const T0 = new Date('2030-01-01T00:00:00Z');

interface World {
  db: Database;
  settings: { databaseUrl?: string; dataDir: string };
}

const MODE = process.env.TEST_MODE === 'cluster' ? 'cluster' : 'embedded';
const dirs: string[] = [];

async function open(migrations = MIGRATIONS): Promise<World> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-partitions-'));
  dirs.push(dataDir);
  const settings = { databaseUrl: MODE === 'cluster' ? process.env.PARTITIONS_DATABASE_URL : undefined, dataDir };
  if (migrations === MIGRATIONS) return { db: await migratedDatabase(settings), settings };
  const db = await openDatabase(settings);
  await migrate(db, migrations);
  return { db, settings };
}

function maintenance(db: Database, retentionDays?: number): { partitions: MessagePartitions; metrics: MetricsService } {
  const config = { messages: { partitionDays: 30, retentionDays, maintenanceMs: 60_000 } } as AppConfig;
  const metrics = new MetricsService(new LocalSessions(), new PasswordHasher({ auth: { hashConcurrency: 4 } } as AppConfig));
  return { partitions: new MessagePartitions(db, config, metrics), metrics };
}

async function counter(metrics: MetricsService, name: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Number(metric?.values[0]?.value ?? 0);
}

async function tables(db: Database): Promise<string[]> {
  const rows = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'messages'::regclass ORDER BY c.relname`,
  );
  return rows.map((r) => r.relname);
}

let world: World | undefined;

const scenarios: Record<string, () => Promise<void>> = {
  rollover: async () => {
    world = await open();
    const { db } = world;
    const store = new MessageStore(db);
    const groupLog = store.groupLog(new GroupsRepository(db));
    const { partitions, metrics } = maintenance(db, 60);
    await db.query(`INSERT INTO users (username, password_hash) VALUES ('alice', 'x'), ('bob', 'x')`);
    const [{ id: groupId }] = await db.query<{ id: number }>(
      `INSERT INTO groups (name, name_key, created_by) VALUES ('team', 'team', 'alice') RETURNING id`,
    );
    await db.query(`INSERT INTO group_members (group_id, user_id) SELECT $1, id FROM users`, [groupId]);
    await db.query(`UPDATE message_partitions SET opened_at = $1 WHERE k = 0`, [T0]);

    expect(await partitions.run(T0)).toEqual({ created: [1], opened: [], dropped: [] });
    expect(await tables(db)).toEqual(['messages_p0', 'messages_p1']);

    const unacked = await store.appendDirect({ sender: 'alice', recipient: 'bob', content: 'first', clientMessageId: 'a1', sequenceId: 1 });
    const acked = await store.appendDirect({ sender: 'alice', recipient: 'bob', content: 'second', clientMessageId: 'a2', sequenceId: 2 });
    expect(await store.ackDirect('bob', [acked.id])).toBe(1);
    const g1 = await groupLog.append({ sender: 'alice', groupId, content: 'g1', clientMessageId: 'g1', sequenceId: 3 });
    expect(BigInt(g1.id)).toBeLessThan(PARTITION_SPAN);

    // Not yet a period: nothing changes.
    expect(await partitions.run(new Date(T0.getTime() + 29 * DAY))).toEqual({ created: [], opened: [], dropped: [] });
    // A period: ids move on to the next partition, and the one after is created ahead.
    expect(await partitions.run(new Date(T0.getTime() + 31 * DAY))).toEqual({ created: [2], opened: [1], dropped: [] });
    const later = await store.appendDirect({ sender: 'alice', recipient: 'bob', content: 'third', clientMessageId: 'a3', sequenceId: 4 });
    expect(BigInt(later.id)).toBeGreaterThanOrEqual(PARTITION_SPAN);
    expect(BigInt(later.id)).toBeLessThan(2n * PARTITION_SPAN);
    const g2 = await groupLog.append({ sender: 'alice', groupId, content: 'g2', clientMessageId: 'g2', sequenceId: 5 });
    expect(g2.seq).toBe('2');

    // A resend of a message stored in the old partition is still a resend: the original comes back.
    const resent = await store.appendDirect({ sender: 'alice', recipient: 'bob', content: 'first', clientMessageId: 'a1', sequenceId: 1 });
    expect(resent).toMatchObject({ id: unacked.id, duplicate: true, acked: false });
    const resentAcked = await store.appendDirect({
      sender: 'alice',
      recipient: 'bob',
      content: 'second',
      clientMessageId: 'a2',
      sequenceId: 2,
    });
    expect(resentAcked).toMatchObject({ id: acked.id, duplicate: true, acked: true });
    const groupResent = await groupLog.append({ sender: 'alice', groupId, content: 'g1', clientMessageId: 'g1', sequenceId: 3 });
    expect(groupResent).toMatchObject({ id: g1.id, duplicate: true, seq: '1' });
    // Reads span the partitions.
    expect((await store.groupHistory(groupId, null, 10)).map((m) => m.content)).toEqual(['g1', 'g2']);
    expect((await store.groupHistory(groupId, g2.id, 10)).map((m) => m.content)).toEqual(['g1']);
    expect((await store.groupMessagesAfter([{ groupId, ackedSeq: '0' }], 10)).map((m) => m.content)).toEqual(['g1', 'g2']);
    expect((await store.unackedDirect('bob', null, 10)).map((m) => m.content)).toEqual(['first', 'third']);
    expect((await store.directHistory('bob', 'alice', null, 10)).map((m) => m.content)).toEqual(['first', 'second', 'third']);

    // p0 closed at day 31; with 60 days of retention it goes after day 91, whole.
    expect((await partitions.run(new Date(T0.getTime() + 90 * DAY)))?.dropped).toEqual([]);
    const dropping = await partitions.run(new Date(T0.getTime() + 92 * DAY));
    expect(dropping?.dropped).toEqual([0]);
    expect(await tables(db)).not.toContain('messages_p0');
    expect(await counter(metrics, 'chat_messages_expired_total')).toBe(3);
    // 'first' (1:1, not acknowledged) and g1 (past bob's and alice's cursors); 'second' was acknowledged.
    expect(await counter(metrics, 'chat_messages_expired_unacknowledged_total')).toBe(2);
    expect((await store.unackedDirect('bob', null, 10)).map((m) => m.content)).toEqual(['third']);
    // The dropped messages' pending rows went with them.
    expect(await db.query(`SELECT message_id::text AS id FROM direct_pending`)).toEqual([{ id: later.id }]);
    expect((await store.groupHistory(groupId, null, 10)).map((m) => m.content)).toEqual(['g2']);
    // A cursor from before the dropped partition finds what is left, past the gap.
    expect((await store.groupMessagesAfter([{ groupId, ackedSeq: '0' }], 10)).map((m) => m.content)).toEqual(['g2']);

    // Writes go on, in the partition that is current now.
    const after = await store.appendDirect({ sender: 'bob', recipient: 'alice', content: 'after', clientMessageId: 'b1', sequenceId: 1 });
    expect(after.duplicate).toBe(false);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages`);
    expect(n).toBe(3);
  },

  forever: async () => {
    world = await open();
    const { db } = world;
    const store = new MessageStore(db);
    const { partitions } = maintenance(db, undefined);
    await db.query(`UPDATE message_partitions SET opened_at = $1 WHERE k = 0`, [T0]);
    await partitions.run(T0);
    await store.appendDirect({ sender: 'alice', recipient: 'bob', content: 'kept', clientMessageId: 'k1', sequenceId: 1 });
    for (const day of [31, 62, 93, 400]) await partitions.run(new Date(T0.getTime() + day * DAY));
    expect(await tables(db)).toContain('messages_p0');
    expect((await store.unackedDirect('bob', null, 10)).map((m) => m.content)).toEqual(['kept']);
  },

  race: async () => {
    // Two stores (two instances) send the same (sender, clientMessageId) at the same moment: one
    // stores it, the other gets the original back (in PostgreSQL the partition's unique index
    // refuses the second insert and the write runs again).
    world = await open();
    const { db } = world;
    const [a, b] = [new MessageStore(db), new MessageStore(db)];
    for (let i = 0; i < 20; i++) {
      const send = (store: MessageStore) =>
        store.appendDirect({ sender: 'alice', recipient: 'bob', content: `race ${i}`, clientMessageId: `race-${i}`, sequenceId: i });
      const results = await Promise.all([send(a), send(b)]);
      expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
      expect(results[0].id).toBe(results[1].id);
    }
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE client_message_id LIKE 'race-%'`);
    expect(n).toBe(20);
  },

  migration: async () => {
    const old = await open(MIGRATIONS.slice(0, 3));
    await old.db.query(`INSERT INTO users (username, password_hash) VALUES ('alice', 'x'), ('bob', 'x')`);
    const oldStored = await old.db.query<{ id: string }>(
      `INSERT INTO messages (sender, recipient, content, client_message_id) ` +
        `VALUES ('alice', 'bob', 'before', 'm1'), ('bob', 'alice', 'reply', 'm2') RETURNING id::text AS id`,
    );
    await old.db.close();

    world = await reopen(old.settings);
    const { db } = world;
    const [{ relkind }] = await db.query<{ relkind: string }>(`SELECT relkind::text AS relkind FROM pg_class WHERE relname = 'messages'`);
    expect(relkind).toBe('p');
    expect(await tables(db)).toEqual(['messages_p0']);
    const store = new MessageStore(db);
    expect((await store.directHistory('alice', 'bob', null, 10)).map((m) => [m.id, m.content])).toEqual([
      [oldStored[0].id, 'before'],
      [oldStored[1].id, 'reply'],
    ]);
    const resent = await store.appendDirect({ sender: 'alice', recipient: 'bob', content: 'before', clientMessageId: 'm1', sequenceId: 1 });
    expect(resent).toMatchObject({ id: oldStored[0].id, duplicate: true });
    const next = await store.appendDirect({ sender: 'alice', recipient: 'bob', content: 'new', clientMessageId: 'm3', sequenceId: 2 });
    expect(BigInt(next.id)).toBeGreaterThan(BigInt(oldStored[1].id));
  },
};

/** The same data directory or database again, with every migration. */
async function reopen(settings: { databaseUrl?: string; dataDir: string }): Promise<World> {
  return { db: await migratedDatabase(settings), settings };
}

runScenarioProcess(scenarios, process.env.PARTITIONS_DATABASE_URL, {
  afterEach: async () => {
    await world?.db.close();
    world = undefined;
  },
  afterAll: () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  },
});
