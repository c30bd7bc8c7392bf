'use strict';
// The load generator's scenarios relay (S1/S2), group (S4) and idle (S3), run on a LoadGenerator
// whose clients are logged in.
const { sleep, pool } = require('../lib/common');
const { log } = require('./log');
// The message types of src/protocol, from the build (npm run build).
const { MessageType } = require('../../dist/protocol');

/** Each window's delivered/s, for the progress lines. */
const eachWindow = (result) => result.windows.map((w) => w.deliveredPerSec).join(' / ');

async function relay(lg) {
  const cfg = lg.config.relay;
  const n = lg.clients.length;
  let senders = lg.clients;
  let recipients = lg.clients;
  if (cfg.split) {
    senders = lg.clients.filter((c) => c.instance === 0);
    recipients = lg.clients.filter((c) => c.instance === 1);
  }
  for (const s of senders) s.isSender = true;
  lg.sendersList = senders;
  const names = recipients.map((c) => c.name);
  lg.pickRecipient = (client) => {
    for (;;) {
      const name = names[(Math.random() * names.length) | 0];
      if (name !== client.name || names.length === 1) return name;
    }
  };
  const perSender = Math.max(1, Math.ceil((cfg.inflight ?? 4000) / senders.length));
  log(`relay: ${senders.length} senders → ${recipients.length} recipients (${n} clients), ${perSender} in flight each`);

  lg.startFlat(perSender);
  await sleep(cfg.warmupMs);
  const max = await lg.windows(cfg.windows ?? 1, cfg.maxMs);
  lg.stopFlat();
  const left = await lg.drain(10000);
  log(
    `max: ${max.deliveredPerSec} delivered/s (${eachWindow(max)}), p50 ${max.latencyMs.p50} p99 ${max.latencyMs.p99} ms ` +
      `(in flight left ${left})`,
  );

  const rate = Math.max(1, Math.round(max.deliveredPerSec * (cfg.pacedFraction ?? 0.5)));
  const stop = lg.startPaced(rate, cfg.maxInflight ?? 50000);
  await sleep(cfg.pacedWarmupMs);
  const paced = await lg.windows(cfg.windows ?? 1, cfg.pacedMs, 'paced');
  stop();
  const left2 = await lg.drain(5000);
  log(
    `paced at ${rate}/s: ${paced.deliveredPerSec} delivered/s (${eachWindow(paced)}), p50 ${paced.latencyMs.p50} p99 ` +
      `${paced.latencyMs.p99} p999 ` +
      `${paced.latencyMs.p999} ms`,
  );
  return {
    senders: senders.length,
    recipients: recipients.length,
    perSenderInflight: perSender,
    max,
    paced: { targetRate: rate, ...paced },
    unfinished: left2,
  };
}

async function group(lg) {
  const cfg = lg.config.group;
  lg.groupName = cfg.groupName;
  const creator = lg.clients[0];
  const create = await creator.request(
    lg.target === 'ours'
      ? { messageType: MessageType.GroupCreateRequest, groupName: cfg.groupName, members: [] }
      : { messageType: MessageType.GroupCreateRequest, groupName: cfg.groupName },
  );
  if (!create.success) throw new Error(`group create refused: ${create.reason}`);
  const t0 = Date.now();
  let refused = 0;
  let reason = null;
  await pool(lg.clients.slice(1), 100, async (client) => {
    const r = await client
      .request({ messageType: MessageType.GroupJoinRequest, groupName: cfg.groupName })
      .catch((e) => ({ success: false, reason: e.message }));
    if (!r.success) {
      refused++;
      reason ??= r.reason;
    }
  });
  log(
    `group ${cfg.groupName}: ${lg.clients.length - refused} members joined in ${((Date.now() - t0) / 1000).toFixed(1)} ` +
      `s${refused ? `, ${refused} refused (${reason})` : ''}`,
  );
  // Senders alternate between the instances.
  const byInstance = [0, 1].map((i) => lg.clients.filter((c) => c.instance === i));
  const senders = [];
  for (let k = 0; senders.length < cfg.senders && k < lg.clients.length; k++) {
    const list = byInstance[k % 2].length ? byInstance[k % 2] : lg.clients;
    const c = list[Math.floor(k / 2) % list.length];
    if (!senders.includes(c)) senders.push(c);
  }
  for (const s of senders) s.isSender = true;
  lg.sendersList = senders;
  const perSender = cfg.window ?? 8;
  lg.startFlat(perSender);
  await sleep(cfg.warmupMs);
  const max = await lg.windows(cfg.windows ?? 1, cfg.maxMs);
  lg.stopFlat();
  const left = await lg.drain(10000);
  log(
    `group: ${max.deliveredPerSec} deliveries/s (${eachWindow(max)}), ${max.ackedPerSec} sends/s, ` +
      `p50 ${max.latencyMs.p50} p99 ${max.latencyMs.p99} ms ` +
      `(in flight left ${left})`,
  );
  return { members: lg.clients.length - refused, senders: senders.length, perSenderInflight: perSender, max };
}

async function idle(lg, setup) {
  process.send?.({ type: 'ready', connected: setup.connected });
  await new Promise((resolve) => {
    process.on('message', (m) => {
      if (m?.cmd === 'exit') resolve();
    });
  });
  return {};
}

module.exports = { relay, group, idle };
