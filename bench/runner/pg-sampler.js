'use strict';
const { sleep, round, PG_ADMIN_URL } = require('../lib/common');
const { DB_NAME, DB_URL } = require('./context');

/**
 * Samples pg_stat_activity of the bench database while the load generator measures a window:
 * how many of our queries run at once, and what they wait on. It shows whether PostgreSQL work
 * is serialized (one statement at a time) and whether commits wait for the disk (IO/WALSync).
 */
class PgSampler {
  constructor() {
    this.phase = null;
    this.phases = {};
    this.running = false;
  }

  async start() {
    const { Client } = require('pg');
    this.client = new Client({ connectionString: PG_ADMIN_URL });
    await this.client.connect();
    this.statClient = new Client({ connectionString: DB_URL });
    await this.statClient.connect();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const phase = this.phase;
        if (phase) {
          try {
            const { rows } = await this.client.query(
              `SELECT coalesce(wait_event_type, 'CPU') || '/' || coalesce(wait_event, '-') AS wait,
                      split_part(ltrim(regexp_replace(query, '\\s+', ' ', 'g')), ' ', 1) AS verb
                 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
              [DB_NAME],
            );
            const p = (this.phases[phase] ??= { samples: 0, concurrent: {}, waits: {} });
            p.samples++;
            p.concurrent[rows.length] = (p.concurrent[rows.length] ?? 0) + 1;
            for (const r of rows) {
              const key = `${r.verb} ${r.wait}`;
              p.waits[key] = (p.waits[key] ?? 0) + 1;
            }
          } catch {
            // a sample lost is no harm
          }
        }
        await sleep(25);
      }
    })();
    return this;
  }

  mark(name, edge) {
    this.phase = edge === 'start' ? name : null;
    const p = (this.phases[name] ??= { samples: 0, concurrent: {}, waits: {} });
    // Backends flush their statistics about once a second: the end is read a second late, so the
    // absolute counts are approximate; ratios between them (per inserted message) hold.
    if (edge === 'start') p.startCounters = this.counters();
    else p.endCounters = sleep(1100).then(() => this.counters());
  }

  /** Transactions and row changes of the bench database (pg_stat_database / pg_stat_user_tables). */
  counters() {
    const client = this.statClient;
    if (!client) return Promise.resolve(null);
    return (async () => {
      const db = await client.query('SELECT xact_commit::bigint AS xacts FROM pg_stat_database WHERE datname = current_database()');
      const tables = await client.query(
        'SELECT relname, n_tup_ins::bigint AS ins, n_tup_upd::bigint AS upd, seq_scan::bigint AS seq, idx_scan::bigint AS idx ' +
          'FROM pg_stat_user_tables',
      );
      return {
        xacts: Number(db.rows[0].xacts),
        tables: Object.fromEntries(
          tables.rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), scans: Number(r.seq) + Number(r.idx ?? 0) }]),
        ),
      };
    })().catch(() => null);
  }

  async stop() {
    this.result ??= this.collect();
    return this.result;
  }

  async collect() {
    this.running = false;
    await this.loop?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    const out = {};
    for (const [name, p] of Object.entries(this.phases)) {
      const pct = (n) => round((100 * n) / Math.max(1, p.samples));
      const [a, b] = await Promise.all([p.startCounters, p.endCounters]);
      let counters = null;
      if (a && b) {
        counters = { xacts: b.xacts - a.xacts, tables: {} };
        for (const [rel, t] of Object.entries(b.tables)) {
          const t0 = a.tables[rel] ?? { ins: 0, upd: 0, scans: 0 };
          const d = { ins: t.ins - t0.ins, upd: t.upd - t0.upd, scans: t.scans - t0.scans };
          if (d.ins || d.upd || d.scans) counters.tables[rel] = d;
        }
      }
      out[name] = {
        samples: p.samples,
        counters,
        ...(counters && counters.tables.messages?.ins
          ? {
              perInsertedMessage: {
                xacts: round(counters.xacts / counters.tables.messages.ins, 2),
                rowUpdates: round(Object.values(counters.tables).reduce((x, t) => x + t.upd, 0) / counters.tables.messages.ins, 2),
              },
            }
          : {}),
        concurrentPct: Object.fromEntries(Object.entries(p.concurrent).map(([k, v]) => [k, pct(v)])),
        topWaits: Object.entries(p.waits)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([k, v]) => ({ what: k, pctOfSamples: pct(v) })),
      };
    }
    await this.statClient?.end().catch(() => undefined);
    return out;
  }
}

module.exports = { PgSampler };
