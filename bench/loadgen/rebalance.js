'use strict';
// S5 in the load generator: everyone on instance 1, POST /reBalance, clients that follow the ReBalance push
// to their new instance, and the count of messages acknowledged but never received.
const { sleep, nowMs, round, httpJson, pool } = require('../lib/common');
const { log } = require('./log');

async function onMove(lg, client, conn, f) {
  if (conn !== client.conn || client.moving) return;
  client.moving = true;
  lg.moves++;
  const started = nowMs();
  try {
    const next = await client.connect(f.url);
    await client.login(next, 'token');
    const old = client.conn;
    client.conn = next;
    client.url = f.url;
    client.instance = lg.config.urls.indexOf(f.url);
    client.oldConns.add(old);
    lg.moveTimes.push(nowMs() - started); // connect + token login on the new instance
    // The old connection stays until the answers to what was sent on it came back.
    const deadline = Date.now() + 3000;
    while (client.inflight.size > 0 && Date.now() < deadline) await sleep(20);
    client.flushAcks();
    old.close();
  } catch (error) {
    lg.moveFailures++;
    lg.reason(`move failed: ${error.message}`);
  } finally {
    client.moving = false;
  }
}

async function instancesView(lg) {
  const r = await httpJson('GET', `${lg.config.rebalance.httpUrls[0]}/cluster/instances`, { token: lg.config.rebalance.adminToken });
  if (r.status !== 200 || !Array.isArray(r.json?.data)) throw new Error(`/cluster/instances: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  return r.json.data.map((i) => ({ host: i.host, connections: i.connections, users: i.users }));
}

function balanced(counts, tolerance) {
  const total = counts.reduce((a, b) => a + b, 0);
  const mean = total / counts.length;
  return total > 0 && counts.every((c) => Math.abs(c - mean) <= tolerance * mean);
}

async function rebalance(lg) {
  const cfg = lg.config.rebalance;
  lg.track = true;
  lg.moveTimes = [];
  lg.config.reconnect = true;
  const names = lg.clients.map((c) => c.name);
  lg.pickRecipient = (client) => {
    for (;;) {
      const name = names[(Math.random() * names.length) | 0];
      if (name !== client.name) return name;
    }
  };
  lg.sendersList = lg.clients.slice(0, cfg.senders);
  for (const s of lg.sendersList) s.isSender = true;

  const stopSending = lg.startPaced(cfg.rate, 0);
  await sleep(cfg.preMs);
  // The registry learns the counts from heartbeats: start from the state where it sees everyone.
  let before = await instancesView(lg);
  const settleUntil = Date.now() + 15000;
  while (before.reduce((a, i) => a + i.connections, 0) < lg.clients.length && Date.now() < settleUntil) {
    await sleep(200);
    before = await instancesView(lg);
  }
  log(`before: ${before.map((i) => `${i.host}=${i.connections}`).join(' ')}`);

  const ackedBefore = lg.stats.acked;
  const t0 = nowMs();
  const response = await httpJson('POST', `${cfg.httpUrls[0]}/reBalance`, { token: cfg.adminToken });
  if (response.status === 404) {
    stopSending();
    return { notRun: 'POST /reBalance missing' };
  }
  if (response.status !== 200 || response.json?.isSuccess === false) {
    stopSending();
    return { notRun: `POST /reBalance answered HTTP ${response.status}: ${response.text.slice(0, 200)}` };
  }
  const plan = response.json?.data;
  log(`POST /reBalance → ${JSON.stringify(plan).slice(0, 300)}`);

  let balancedAt = null;
  let clientBalancedAt = null;
  let lastView = before;
  const timeline = [];
  while (nowMs() - t0 < cfg.timeoutMs) {
    const elapsed = nowMs() - t0;
    const local = lg.config.urls.map((_, i) => lg.clients.filter((c) => c.instance === i && c.conn?.open).length);
    if (clientBalancedAt === null && balanced(local, cfg.tolerance)) clientBalancedAt = elapsed;
    try {
      lastView = await instancesView(lg);
    } catch (error) {
      lg.reason(error.message);
    }
    const counts = lastView.map((i) => i.connections);
    timeline.push({ ms: round(elapsed), registry: counts, clients: local });
    if (lastView.length === lg.config.urls.length && balanced(counts, cfg.tolerance)) {
      balancedAt = nowMs() - t0;
      break;
    }
    await sleep(100);
  }
  const ackedDuringMove = lg.stats.acked - ackedBefore;
  log(
    balancedAt === null
      ? `not balanced after ${cfg.timeoutMs} ms: ${JSON.stringify(lastView)}`
      : `balanced after ${round(balancedAt)} ms: ${lastView.map((i) => `${i.host}=${i.connections}`).join(' ')}`,
  );
  await sleep(cfg.postMs);
  stopSending();
  await lg.drain(10000);

  // Every acknowledged message must reach its recipient.
  const missing = () => {
    const out = [];
    for (const [id, { to }] of lg.acked) if (!lg.received.get(to)?.has(id)) out.push({ id, to });
    return out;
  };
  const deadline = Date.now() + 10000;
  while (missing().length > 0 && Date.now() < deadline) await sleep(200);
  const lost = missing();
  // A recipient that missed one logs in again: what is stored and unacknowledged comes back.
  let recovered = 0;
  if (lost.length > 0) {
    const recipients = [...new Set(lost.map((m) => m.to))];
    const byName = new Map(lg.clients.map((c) => [c.name, c]));
    await pool(recipients, 50, async (name) => {
      const c = byName.get(name);
      try {
        const conn = await c.connect(c.url);
        c.oldConns.add(conn);
        await c.login(conn, 'token');
        await sleep(1000);
        conn.close();
      } catch {
        // counted below
      }
    });
    recovered = lost.length - missing().length;
  }
  const final = await instancesView(lg).catch(() => lastView);
  lg.stopping = true;
  const moveTimes = lg.moveTimes.sort((a, b) => a - b);
  return {
    clients: lg.clients.length,
    before,
    after: final,
    plan,
    balancedAfterMs: balancedAt === null ? null : round(balancedAt),
    clientViewBalancedAfterMs: clientBalancedAt === null ? null : round(clientBalancedAt),
    moves: lg.moves,
    moveFailures: lg.moveFailures,
    moveMsP50: moveTimes.length ? round(moveTimes[Math.floor(moveTimes.length / 2)], 1) : null,
    moveMsMax: moveTimes.length ? round(moveTimes[moveTimes.length - 1], 1) : null,
    ackedDuringMove,
    ackedTotal: lg.acked.size,
    lostBeforeRelogin: lost.length,
    lost: lost.length - recovered,
    lostSample: lost.slice(0, 5),
    timeline: timeline.filter((_, i) => i % 5 === 0).slice(0, 40),
  };
}

module.exports = { onMove, rebalance };
