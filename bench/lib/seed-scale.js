'use strict';
// Seeds a large chat database in SQL alone (generate_series, never through the protocol), for the
// S6 benchmark and the plan-regression test (test/query-plans.cluster-spec.ts). The schema must exist
// (the server's migrations); the tables must be empty.
//
// Shape, for `messages` = M, `users` = N, `groups` = G:
//   users      u_0 … u_{N-1} (written u0 … below), one password hash for all, registered one minute apart (oldest first).
//   groups     g1 … g{G-1} with `groupSize` members each, chosen spread over the users; g0 has the
//              first `bigGroup` users (u0 … u{bigGroup-1}); `old` (the last group) has M/100 messages
//              (20,000 at most) older than every other message, and its members are u4 (one message
//              pending), u5 and a few others.
//   messages   ids 1 … M in time order, created one second apart up to now; `oldGroup` messages of
//              `old` first, then 2 of every 5 ids are group messages (round robin over g0 … g{G-2},
//              so seqs are contiguous per group and follow ids), the rest 1:1: one in 250 between u1
//              and u2 (the deep conversation), the others between pseudo-random pairs. Every message
//              has a clientMessageId, as the SDK sends one. Every 1:1 message is acknowledged and
//              every member's cursor is at its group's last seq, except:
//   u3         500 unacknowledged 1:1 messages (the newest ids), from u1 … u500 round robin;
//   u4         one pending message in `old`;
//   u5         member of g0 and of a few other groups, nothing pending;
//   away_0 … away_4999 (no accounts): M/10 pending 1:1 messages (200,000 at most) in direct_pending,
//              for users who never came back, so the pending table is not only u3's.
// Then ANALYZE, so the planner sees the sizes at once.
//
// CLI: node bench/lib/seed-scale.js DATABASE_URL MESSAGES USERS GROUPS [BIG_GROUP] [GROUP_SIZE]
// (two connections; SEED_SERIAL=1 for one)

const PENDING = 500;
const SPAN = 10000000000; // ids per partition (src/messages/message-partitions.ts)

function shape(options) {
  const messages = options.messages;
  const users = options.users;
  const groups = options.groups;
  const bigGroup = Math.min(options.bigGroup ?? 5000, users);
  const groupSize = options.groupSize ?? 10;
  const oldGroup = Math.min(20000, Math.max(10, Math.floor(messages / 100)));
  if (groups < 3 || users < 600 || messages < oldGroup * 2) throw new Error('seed: at least 3 groups, 600 users and 1,000 messages');
  // Messages past `split` go to the second partition (messages_p1), as after a rollover.
  const split = options.split === false ? null : Math.floor(messages / 2);
  const away = Math.min(200000, Math.floor(messages / 10));
  return { messages, users, groups, bigGroup, groupSize, oldGroup, split, away, hash: options.passwordHash ?? 'x' };
}

/** The statements, in order, with their parameters. */
function statements(options) {
  const s = shape(options);
  const rotating = s.groups - 1; // g0 … g{G-2} take the general group messages; the last group is `old`
  const oldId = s.groups; // groups are inserted in order, so ids are 1 … G; g0 has id 1, `old` id G
  const id = (column) => (s.split === null ? column : `CASE WHEN ${column} > ${s.split} THEN ${column} + ${SPAN} ELSE ${column} END`);
  // As the server's maintenance creates it (src/messages/message-partitions.ts, createPartitionSql).
  const partitions =
    s.split === null
      ? []
      : [
          {
            label: 'second partition',
            sql: `DO $$ BEGIN
              IF to_regclass('messages_p1') IS NULL THEN
                CREATE TABLE messages_p1 PARTITION OF messages FOR VALUES FROM (${SPAN}) TO (${2 * SPAN});
                CREATE UNIQUE INDEX messages_p1_dedup_key ON messages_p1 (sender, client_message_id) WHERE client_message_id IS NOT NULL;
                CREATE UNIQUE INDEX messages_p1_group_seq_key ON messages_p1 (group_id, seq) WHERE group_id IS NOT NULL;
                CREATE STATISTICS messages_p1_pair (mcv, ndistinct, dependencies)
                  ON least(sender, recipient), greatest(sender, recipient) FROM messages_p1;
              END IF;
            END $$`,
            params: [],
          },
        ];
  // The general messages, one statement per partition (run side by side when the seed has a second connection).
  const messages = (label, from, to) => ({
    label,
    parallel: 'messages',
    // i runs over the general ids; k numbers the group messages among them (2 of every 5).
    sql: `INSERT INTO messages (id, sender, recipient, group_id, seq, content, created_at, client_message_id, sender_sequence_id)
            SELECT ${id('i')},
              CASE WHEN grp THEN 'u_' || (h % $3::int)
                   WHEN i % 250 = 2 THEN CASE WHEN i % 2 = 0 THEN 'u_1' ELSE 'u_2' END
                   ELSE 'u_' || (h % $3::int) END,
              CASE WHEN grp THEN NULL
                   WHEN i % 250 = 2 THEN CASE WHEN i % 2 = 0 THEN 'u_2' ELSE 'u_1' END
                   ELSE 'u_' || ((h + 1 + (h / 7) % ($3::int - 1)) % $3::int) END,
              CASE WHEN grp THEN 1 + k % $4::int END,
              CASE WHEN grp THEN 1 + k / $4::int END,
              md5(i::text), now() - make_interval(secs => $1::int + $5::int - i), 'cm-' || i, i
            FROM (
              SELECT i, (i % 5) < 2 AS grp, ((i / 5) * 2 + (i % 5)) AS k, (i::bigint * 2654435761) % 4294967296 AS h
              FROM generate_series(greatest($2::int + 1, $6::int), $7::int) AS i
            ) t`,
    params: [s.messages, s.oldGroup, s.users, rotating, PENDING, from, to],
  });
  return [
    ...partitions,
    {
      label: 'drop indexes',
      // Built again once the rows are in (a sort is far faster than 5M random index inserts).
      sql: `DO $$ DECLARE r record; BEGIN
              CREATE TEMP TABLE IF NOT EXISTS seed_indexes (def text);
              TRUNCATE seed_indexes;
              FOR r IN SELECT i.indexrelid::regclass AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
                       WHERE (i.indrelid = 'messages'::regclass
                              OR i.indrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'messages'::regclass))
                         AND NOT i.indisprimary AND i.indexrelid NOT IN (SELECT inhrelid FROM pg_inherits) LOOP
                INSERT INTO seed_indexes VALUES (r.def);
                EXECUTE 'DROP INDEX ' || r.name;
              END LOOP;
            END $$`,
      params: [],
    },
    {
      label: 'users',
      // reg_no as the server's trigger numbers them (the trigger is off while foreign keys are).
      sql: `INSERT INTO users (username, password_hash, register_time, reg_no)
            SELECT 'u_' || g, $2::text, now() - make_interval(mins => $1::int - g), g + 1 FROM generate_series(0, $1::int - 1) AS g`,
      params: [s.users, s.hash],
    },
    {
      label: 'groups',
      // Names are lower-case ASCII, so each is its own name key (groupNameKey).
      sql: `INSERT INTO groups (name, name_key, created_by, created_at)
            SELECT n, n, 'u_0', now() - interval '400 days'
            FROM generate_series(0, $1::int - 1) AS g,
              LATERAL (SELECT CASE WHEN g = $1::int - 1 THEN 'old' ELSE 'g' || g END AS n) AS names
            ORDER BY g`,
      params: [s.groups],
    },
    {
      label: 'group members',
      sql: `INSERT INTO group_members (group_id, user_id, joined_at)
            SELECT 1, g + 1, now() - interval '300 days' FROM generate_series(0, $1::int - 1) AS g
            UNION ALL
            SELECT k + 1, ((k::bigint * 7919 + j::bigint * 104729) % $3::int) + 1, now() - interval '300 days'
              FROM generate_series(1, $2::int - 2) AS k, generate_series(0, $4::int - 1) AS j
            UNION ALL
            SELECT $2::int, u, now() - interval '300 days' FROM unnest(ARRAY[2, 3, 5, 6, 7, 8]) AS u
            UNION ALL
            SELECT k + 1, 6, now() - interval '300 days' FROM generate_series(2, 6) AS k
            ON CONFLICT DO NOTHING`,
      params: [s.bigGroup, s.groups, s.users, s.groupSize],
    },
    {
      label: 'begin',
      // The messages and their indexes go in one transaction that starts by truncating the (empty)
      // table: on a server at wal_level=minimal (the PGlite seed), rows written to a table truncated
      // in the same transaction, and indexes built there, skip the WAL; elsewhere it changes nothing.
      sql: 'BEGIN; TRUNCATE messages',
      params: [],
      multi: true,
      serial: true,
    },
    {
      label: 'messages of the old group',
      sql: `INSERT INTO messages (id, sender, group_id, seq, content, created_at, client_message_id, sender_sequence_id)
            SELECT ${id('i')}, 'u_' || (1 + i % 4), $3::int, i, md5(i::text), now() - make_interval(secs => $1::int + $4::int - i),
                   'cm-' || i, i
            FROM generate_series(1, $2::int) AS i`,
      params: [s.messages, s.oldGroup, oldId, PENDING],
    },
    ...(s.split === null
      ? [messages('messages', s.oldGroup + 1, s.messages)]
      : [messages('messages, first partition', s.oldGroup + 1, s.split), messages('messages, second partition', s.split + 1, s.messages)]),
    {
      label: 'pending messages of u3',
      sql: `INSERT INTO messages (id, sender, recipient, content, created_at, client_message_id, sender_sequence_id)
            SELECT ${id('$1::int + j')}, 'u_' || (1 + j % 500), 'u_3', md5(j::text), now() - make_interval(secs => $2::int - j),
                   'cm-p' || j, j
            FROM generate_series(1, $2::int) AS j`,
      params: [s.messages, PENDING],
    },
    {
      label: 'pending rows',
      sql: `INSERT INTO direct_pending (recipient, message_id)
            SELECT 'u_3', ${id('$1::int + j')} FROM generate_series(1, $2::int) AS j
            UNION ALL
            SELECT 'away_' || (j % 5000), ${id('1 + (j::bigint * 7919) % $1::int')} FROM generate_series(1, $3::int) AS j`,
      params: [s.messages, PENDING, s.away],
    },
    {
      label: 'build indexes',
      sql: `DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT def FROM seed_indexes LOOP EXECUTE replace(r.def, ' ON ONLY ', ' ON '); END LOOP;
            END $$`,
      params: [],
    },
    {
      label: 'partition records',
      sql: `DO $$ BEGIN
              IF to_regclass('message_partitions') IS NOT NULL THEN
                -- The first message of each partition is its oldest (ids follow time): found by the primary key.
                INSERT INTO message_partitions (k, opened_at)
                  SELECT k, first.created_at FROM generate_series(0, ((SELECT max(id) FROM messages) / ${SPAN})::int) AS k,
                    LATERAL (SELECT m.created_at FROM messages m
                             WHERE m.id >= k::bigint * ${SPAN} AND m.id < (k + 1)::bigint * ${SPAN} ORDER BY m.id LIMIT 1) AS first
                  ON CONFLICT (k) DO UPDATE SET opened_at = excluded.opened_at;
              END IF;
            END $$`,
      params: [],
    },
    {
      label: 'sequence',
      sql: `SELECT setval('messages_id_seq', (SELECT max(id) FROM messages))`,
      params: [],
    },
    {
      label: 'group seqs',
      // Each group's highest seq by the (group_id, seq) index, not by reading every group message.
      sql: `UPDATE groups g SET last_seq = x.last
            FROM (SELECT id, (SELECT max(m.seq) FROM messages m WHERE m.group_id = gr.id) AS last FROM groups gr) x
            WHERE g.id = x.id AND x.last IS NOT NULL`,
      params: [],
    },
    {
      label: 'cursors',
      sql: `UPDATE group_members gm SET acked_seq = g.last_seq - CASE WHEN g.id = $1::int AND gm.user_id = 5 THEN 1 ELSE 0 END
            FROM groups g WHERE g.id = gm.group_id`,
      params: [oldId],
    },
    {
      label: 'conversation index',
      // As the send path keeps it (src/messages/message.store.ts, insertDirect): unread what is pending (u3's), nothing read.
      sql: `INSERT INTO direct_conversations (user_a, user_b, last_message_id, a_unread, b_unread)
            SELECT least(sender, recipient), greatest(sender, recipient), max(id),
                   count(*) FILTER (WHERE client_message_id LIKE 'cm-p%' AND recipient < sender),
                   count(*) FILTER (WHERE client_message_id LIKE 'cm-p%' AND recipient > sender)
            FROM messages WHERE recipient IS NOT NULL AND sender <> recipient
            GROUP BY least(sender, recipient), greatest(sender, recipient)
            ON CONFLICT DO NOTHING`,
      params: [],
    },
    {
      label: 'read positions',
      sql: 'UPDATE group_members SET read_seq = acked_seq',
      params: [],
    },
    // Committed only now: at wal_level=minimal an index built in the transaction that truncated its
    // table skips the WAL too (built after the commit, it writes its whole size and more to the WAL).
    { label: 'commit', sql: 'COMMIT', params: [], serial: true },
    { label: 'analyze', sql: 'ANALYZE users, groups, group_members, messages, direct_conversations, direct_pending', params: [] },
  ];
}

/** Creates the schema with the server's own migrations (dist/ must be built). */
async function migrate(databaseUrl) {
  const db = await require('./seed').openMigrated({ databaseUrl, dataDir: '.' });
  await db.close();
}

/**
 * Runs the seed on a pg Client (or anything with `query(sql, params)`); returns seconds per step.
 * With `second` (another connection to the same database), the messages of the two partitions are
 * written side by side, one statement on each connection (then not in one transaction).
 */
async function seedScale(client, options, log = () => undefined, second = undefined) {
  const timings = {};
  const clients = second ? [client, second] : [client];
  for (const c of clients) {
    // The seed's rows are consistent by construction: skip the foreign-key triggers where allowed (superuser).
    await c.query(`SET session_replication_role = replica`).catch(() => log('foreign keys checked row by row (not a superuser)'));
    await c.query(`SET maintenance_work_mem = '256MB'`);
  }
  const run = async (c, step) => {
    if (step.multi) for (const sql of step.sql.split('; ')) await c.query(sql, []);
    else await c.query(step.sql, step.params);
  };
  const steps = statements(options).filter((step) => !(second && step.serial));
  for (let i = 0; i < steps.length; i++) {
    const started = Date.now();
    let last = i;
    while (second && steps[i].parallel && last + 1 < steps.length && steps[last + 1].parallel === steps[i].parallel) last++;
    const group = steps.slice(i, last + 1);
    await Promise.all(group.map((step, j) => run(clients[j % clients.length], step)));
    const label = group.map((step) => step.label).join(' + ');
    timings[label] = (Date.now() - started) / 1000;
    log(`${label}: ${timings[label].toFixed(1)} s`);
    i += group.length - 1;
  }
  for (const c of clients) {
    await c.query('RESET session_replication_role').catch(() => undefined);
    await c.query('RESET maintenance_work_mem');
  }
  return timings;
}

module.exports = { seedScale, statements, migrate, PENDING };

if (require.main === module) {
  const [, , url, messages, users, groups, bigGroup, groupSize] = process.argv;
  if (!url || !messages || !users || !groups) {
    process.stderr.write('usage: node bench/lib/seed-scale.js DATABASE_URL MESSAGES USERS GROUPS [BIG_GROUP] [GROUP_SIZE]\n');
    process.exit(2);
  }
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  const second = process.env.SEED_SERIAL ? undefined : new Client({ connectionString: url });
  const started = Date.now();
  migrate(url)
    .then(() => Promise.all([client.connect(), second?.connect()]))
    .then(() =>
      seedScale(
        client,
        {
          messages: Number(messages),
          users: Number(users),
          groups: Number(groups),
          bigGroup: bigGroup ? Number(bigGroup) : undefined,
          groupSize: groupSize ? Number(groupSize) : undefined,
        },
        (line) => process.stdout.write(`${line}\n`),
        second,
      ),
    )
    .then(
      () => {
        process.stdout.write(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        return Promise.all([client.end(), second?.end()]);
      },
      (error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exit(1);
      },
    );
}
