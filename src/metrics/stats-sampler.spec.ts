import { Counter, Gauge, Registry } from 'prom-client';
import { StatsSampler } from './stats-sampler';

/** The metrics the sampler reads, registered as the features register them. */
function registry() {
  const metrics = new Registry();
  let sessions = 0;
  new Gauge({
    name: 'chat_sessions',
    help: 'sessions',
    registers: [metrics],
    collect() {
      this.set(sessions);
    },
  });
  const stored = new Counter({ name: 'chat_messages_stored_total', help: 'stored', labelNames: ['kind'], registers: [metrics] });
  const logins = new Counter({ name: 'chat_logins_total', help: 'logins', labelNames: ['outcome'], registers: [metrics] });
  const refusals = new Counter({ name: 'chat_refusals_total', help: 'refusals', labelNames: ['type'], registers: [metrics] });
  const moves = new Counter({ name: 'chat_rebalance_moves_total', help: 'moves', labelNames: ['reason'], registers: [metrics] });
  return { metrics, stored, logins, refusals, moves, setSessions: (n: number) => (sessions = n) };
}

describe('StatsSampler', () => {
  it('reads the session gauge and what each counter grew by since the last reading, every label summed', async () => {
    const m = registry();
    const sampler = new StatsSampler(m.metrics);
    m.setSessions(3);
    m.stored.labels('direct').inc(4);
    m.stored.labels('group').inc(2);
    m.logins.labels('ok').inc(5);
    m.logins.labels('bad_credentials').inc(2);
    m.logins.labels('disabled').inc();
    m.refusals.labels('5').inc(2);
    m.refusals.labels('unknown').inc();
    m.moves.labels('rebalance').inc(7);
    m.moves.labels('drain').inc(1);
    expect(await sampler.read(1000)).toEqual({ at: 1000, connections: 3, messages: 6, logins: 5, refusals: 6, moves: 8 });

    m.setSessions(1);
    m.stored.labels('direct').inc();
    m.logins.labels('ok').inc(2);
    expect(await sampler.read(2000)).toEqual({ at: 2000, connections: 1, messages: 1, logins: 2, refusals: 0, moves: 0 });
    expect(await sampler.read(3000)).toEqual({ at: 3000, connections: 1, messages: 0, logins: 0, refusals: 0, moves: 0 });
  });

  it('counts a refused login frame once: as a login that failed, not again as a refused LoginRequest', async () => {
    const m = registry();
    const sampler = new StatsSampler(m.metrics);
    m.logins.labels('bad_credentials').inc();
    m.refusals.labels('17').inc();
    m.refusals.labels('9').inc();
    expect((await sampler.read(1000)).refusals).toBe(2);
  });

  it('counts from zero again after a counter was reset', async () => {
    const m = registry();
    const sampler = new StatsSampler(m.metrics);
    m.stored.labels('direct').inc(10);
    await sampler.read(1000);
    m.stored.reset();
    m.stored.labels('direct').inc(2);
    expect((await sampler.read(2000)).messages).toBe(2);
  });

  it('names the metrics it reads that are not registered, and reads them as 0', async () => {
    const metrics = new Registry();
    new Counter({ name: 'chat_messages_stored_total', help: 'stored', registers: [metrics] }).inc(2);
    const sampler = new StatsSampler(metrics);
    expect(sampler.missing()).toEqual(['chat_sessions', 'chat_logins_total', 'chat_refusals_total', 'chat_rebalance_moves_total']);
    expect(await sampler.read(1000)).toEqual({ at: 1000, connections: 0, messages: 2, logins: 0, refusals: 0, moves: 0 });
  });
});
