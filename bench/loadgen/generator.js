'use strict';
// The load generator's engine: the frames it reads, the closed-loop and paced senders, the
// measured windows, and the clients' connect and login; the scenarios run on it.
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { sleep, nowMs, ProcWatch, round } = require('../lib/common');
const { Stats, newHistogram, summary } = require('./measure');
const { combineWindows } = require('./windows');
const { buildClients, connectAll } = require('./setup');
const { relay, group, idle } = require('./scenarios');
const { onMove, rebalance } = require('./rebalance');
// The message types of src/protocol, from the build (npm run build).
const { MessageType } = require('../../dist/protocol');

class LoadGenerator {
  constructor(config) {
    this.config = config;
    this.target = config.target;
    this.transport = config.transport ?? (config.target === 'b1' ? 'sio' : 'ws');
    this.stats = new Stats();
    this.histogram = newHistogram();
    this.recording = false;
    this.clients = [];
    this.sendersList = [];
    this.flat = false;
    this.track = false; // S5: remember every acknowledged and every received messageId
    this.acked = new Map(); // messageId → {to, at}
    this.received = new Map(); // recipient name → Set(messageId)
    this.pad = 'x'.repeat(Math.max(0, (config.contentBytes ?? 100) - 18));
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
    this.pickRecipient = () => null;
    this.moves = 0;
    this.moveFailures = 0;
  }

  // --- frames --------------------------------------------------------------------------------

  onFrame(client, conn, f) {
    switch (f.messageType) {
      case MessageType.ChatResponse:
        if (f.content === null || f.content === undefined) this.onSendAnswer(client, f);
        else if (f.success !== false) this.onDelivery(client, f);
        else this.onSendAnswer(client, f);
        return;
      case MessageType.GroupChatResponse:
        if (f.success === false) {
          this.onSendAnswer(client, f);
          return;
        }
        if (f.from === client.name && client.inflight.has(f.sequenceId) && !f.offline) this.onSendAnswer(client, f);
        this.onDelivery(client, f);
        return;
      case MessageType.ReBalance:
        void onMove(this, client, conn, f);
        return;
      case MessageType.Notice:
        this.stats.notices++;
        return;
      default: {
        const resolve = client.pending.get(f.sequenceId);
        if (resolve) {
          client.pending.delete(f.sequenceId);
          resolve(f);
        } else if (f.messageType === MessageType.Error) {
          this.stats.errors++;
          this.reason(`type ${MessageType.Error}: ${f.reason}`);
        }
      }
    }
  }

  reason(text) {
    const key = String(text).slice(0, 80);
    this.stats.reasons[key] = (this.stats.reasons[key] ?? 0) + 1;
  }

  onSendAnswer(client, f) {
    const sentAt = client.inflight.get(f.sequenceId);
    if (sentAt === undefined) {
      this.stats.unmatched++;
      return;
    }
    client.inflight.delete(f.sequenceId);
    if (f.success) {
      this.stats.acked++;
      if (this.track && f.messageId && f.messageType === MessageType.ChatResponse) this.acked.set(f.messageId, { to: f.to, at: nowMs() });
    } else {
      this.stats.failed++;
      this.reason(f.reason);
    }
    if (this.flat && client.isSender) {
      const t = nowMs();
      while (client.inflight.size < this.flatCap) if (!this.sendChat(client, t)) break;
    }
  }

  onDelivery(client, f) {
    if (this.track) {
      let seen = this.received.get(client.name);
      if (!seen) this.received.set(client.name, (seen = new Set()));
      if (seen.has(f.messageId)) {
        this.stats.duplicates++;
        if (this.ackMs > 0 && f.messageId) client.ackIds.push(f.messageId);
        return;
      }
      seen.add(f.messageId);
    }
    if (f.offline) this.stats.offline++;
    else this.stats.delivered++;
    if (this.recording && !f.offline) {
      const sentAt = parseFloat(f.content);
      if (sentAt > 0) {
        const micros = Math.max(1, Math.round((nowMs() - sentAt) * 1000));
        this.histogram.recordValue(Math.min(micros, 119_000_000));
      }
    }
    if (this.ackMs > 0 && f.messageId) client.ackIds.push(f.messageId);
  }

  onClose(client, conn, code) {
    if (client.oldConns.has(conn)) {
      client.oldConns.delete(conn);
      return;
    }
    if (conn !== client.conn || this.stopping) return;
    this.stats.closes++;
    this.reason(`close ${code}`);
    if (this.config.reconnect) void this.reconnect(client);
  }

  async reconnect(client) {
    for (let attempt = 0; attempt < 10 && !this.stopping; attempt++) {
      await sleep(200 * (attempt + 1));
      try {
        const conn = await client.connect(client.url);
        await client.login(conn, 'token');
        client.conn = conn;
        return;
      } catch {
        // try again
      }
    }
  }

  // --- sending -------------------------------------------------------------------------------

  sendChat(client, stampMs) {
    if (!client.conn?.open) return false;
    const sequenceId = ++client.seq;
    client.inflight.set(sequenceId, stampMs);
    this.stats.sent++;
    if (this.mode === 'group') {
      client.conn.send({
        messageType: MessageType.GroupChatRequest,
        sequenceId,
        groupName: this.groupName,
        content: `${stampMs.toFixed(3)} ${this.pad}`,
      });
    } else {
      const to = this.pickRecipient(client);
      client.conn.send({ messageType: MessageType.ChatRequest, sequenceId, to, content: `${stampMs.toFixed(3)} ${this.pad}` });
    }
    return true;
  }

  inflightCount() {
    let n = 0;
    for (const c of this.sendersList) n += c.inflight.size;
    return n;
  }

  /** Closed loop: every sender keeps `perSender` sends in flight (raising it tops everyone up). */
  startFlat(perSender) {
    this.flat = true;
    this.flatCap = perSender;
    const t = nowMs();
    for (const client of this.sendersList) {
      while (client.inflight.size < perSender) if (!this.sendChat(client, t)) break;
    }
  }

  stopFlat() {
    this.flat = false;
  }

  /** Open loop: `rate` sends/s spread over random senders, stamped with their scheduled time. */
  startPaced(rate, maxInflight) {
    const start = nowMs();
    let sent = 0;
    const senders = this.sendersList;
    const timer = setInterval(() => {
      const due = Math.floor(((nowMs() - start) * rate) / 1000);
      let inflight = null;
      while (sent < due) {
        const stamp = start + (sent * 1000) / rate;
        sent++;
        if (maxInflight) {
          inflight ??= this.inflightCount();
          if (inflight >= maxInflight) {
            this.stats.dropped++;
            continue;
          }
          inflight++;
        }
        const client = senders[(Math.random() * senders.length) | 0];
        if (!this.sendChat(client, stamp)) this.stats.dropped++;
      }
    }, 1);
    return () => clearInterval(timer);
  }

  async drain(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.inflightCount() > 0) await sleep(50);
    return this.inflightCount();
  }

  /**
   * `count` windows of `ms` one after the other, as one result (bench/loadgen/windows.js): each
   * figure the median of the windows. The PostgreSQL sampler sees them as one span.
   */
  async windows(count, ms, name = 'max') {
    process.send?.({ type: 'mark', name, edge: 'start' });
    const measured = [];
    for (let i = 0; i < count; i++) measured.push(await this.window(ms));
    process.send?.({ type: 'mark', name, edge: 'end' });
    return combineWindows(measured);
  }

  /** Measures a window: deliveries, sends, latency of live deliveries, CPU and RSS of every process. */
  async window(ms) {
    const watch = new ProcWatch([...(this.config.watch ?? []), { name: 'load generator', pid: process.pid }]);
    const before = this.stats.snapshot();
    this.histogram.reset();
    this.loop.reset();
    this.recording = true;
    const t0 = nowMs();
    await sleep(ms);
    const seconds = (nowMs() - t0) / 1000;
    this.recording = false;
    const procs = watch.stop();
    const after = this.stats.snapshot();
    const d = (k) => after[k] - before[k];
    const serverCpu = procs.filter((p) => p.name !== 'load generator').reduce((a, p) => a + (p.cpuSec ?? 0), 0);
    return {
      seconds: round(seconds, 2),
      deliveredPerSec: round(d('delivered') / seconds),
      serverCpuUsPerDelivery: d('delivered') > 0 ? round((serverCpu * 1e6) / d('delivered'), 1) : null,
      sentPerSec: round(d('sent') / seconds),
      ackedPerSec: round(d('acked') / seconds),
      failed: d('failed'),
      closes: d('closes'),
      dropped: d('dropped'),
      latencyMs: summary(this.histogram),
      generatorLoopDelayP99Ms: round(this.loop.percentile(99) / 1e6, 1),
      procs,
    };
  }

  startAcks() {
    this.ackMs = this.target === 'ours' ? (this.config.ackMs ?? 1000) : 0;
    if (this.ackMs <= 0) return;
    this.ackTimer = setInterval(() => {
      for (const c of this.clients) c.flushAcks();
    }, this.ackMs);
  }

  async run() {
    this.mode = this.config.scenario;
    buildClients(this);
    this.startAcks();
    const setup = await connectAll(this);
    // Offline leftovers of an earlier run, replayed at login, are not part of any window.
    await sleep(300);
    let result;
    if (this.mode === 'relay') result = await relay(this);
    else if (this.mode === 'group') result = await group(this);
    else if (this.mode === 'idle') result = await idle(this, setup);
    else if (this.mode === 'rebalance') result = await rebalance(this);
    else throw new Error(`unknown scenario ${this.mode}`);
    return { setup, ...result, totals: this.stats.snapshot() };
  }

  close() {
    this.stopping = true;
    clearInterval(this.ackTimer);
    for (const c of this.clients) c.conn?.terminate();
  }
}

module.exports = { LoadGenerator };
