'use strict';
// The load generator: raw `ws` clients (socket.io-client for the Socket.IO baseline), no SDK.
// Forked by bench/run.js: it receives {cmd:'run', config} over IPC and answers {type:'result'}.
// Scenarios:
//   relay      S1/S2: flat-out window (closed loop, a fixed number of sends in flight) for the maximum
//              delivered msg/s, then an open-loop paced window at a fraction of it for latency.
//   idle       S3: connect and log in, report {type:'ready'}, hold until {cmd:'exit'}.
//   group      S4: one big group, a few senders flat out; deliveries/s.
//   rebalance  S5: everyone on instance 1, POST /reBalance, follow type 21, count lost messages.
// Latency = recipient receive time - the send time written into `content` (for paced sends, the
// scheduled send time, so that a stalled generator or server cannot hide its delay).
const WebSocket = require('ws');
const hdr = require('hdr-histogram-js');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { parseArgs } = require('node:util');
const { sleep, nowMs, ProcWatch, round, signToken, httpJson, pool } = require('./lib/common');
// The message types of src/protocol, from the build (npm run build).
const { MessageType } = require('../dist/protocol');

const log = (msg) => {
  if (process.send) process.send({ type: 'log', msg });
  else process.stderr.write(`[load] ${msg}\n`);
};

// ---------------------------------------------------------------------------------------------
// Transports

function openWs(url, onFrame, onClose, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    let opened = false;
    const conn = {
      ws,
      send: (frame) => {
        if (ws.readyState === 1) ws.send(JSON.stringify(frame));
      },
      close: () => {
        try {
          ws.close(1000);
        } catch {
          ws.terminate();
        }
      },
      terminate: () => ws.terminate(),
      get open() {
        return ws.readyState === 1;
      },
    };
    ws.on('open', () => {
      opened = true;
      resolve(conn);
    });
    ws.on('message', (data) => {
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      onFrame(conn, frame);
    });
    ws.on('error', (error) => {
      if (!opened) reject(error);
    });
    ws.on('close', (code) => {
      if (!opened) reject(new Error(`closed ${code} before open`));
      else onClose(conn, code);
    });
  });
}

let ioClient = null;
function openSio(url, onFrame, onClose, timeoutMs = 20000) {
  ioClient ??= require('socket.io-client').io;
  return new Promise((resolve, reject) => {
    const socket = ioClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs, perMessageDeflate: false });
    let opened = false;
    const conn = {
      socket,
      send: (frame) => socket.emit('m', frame),
      close: () => socket.disconnect(),
      terminate: () => socket.disconnect(),
      get open() {
        return socket.connected;
      },
    };
    socket.on('connect', () => {
      opened = true;
      resolve(conn);
    });
    socket.on('connect_error', (error) => {
      if (!opened) reject(error);
    });
    socket.on('m', (frame) => onFrame(conn, frame));
    socket.on('disconnect', (reason) => {
      if (opened) onClose(conn, reason);
    });
  });
}

// ---------------------------------------------------------------------------------------------

class Stats {
  constructor() {
    this.sent = 0;
    this.acked = 0;
    this.failed = 0;
    this.delivered = 0;
    this.offline = 0;
    this.duplicates = 0;
    this.unmatched = 0;
    this.notices = 0;
    this.errors = 0;
    this.closes = 0;
    this.dropped = 0;
    this.reasons = {};
  }

  snapshot() {
    return { ...this, reasons: { ...this.reasons } };
  }
}

function newHistogram() {
  // microseconds, 1 µs .. 120 s, 3 significant digits
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

function summary(histogram) {
  if (histogram.totalCount === 0) return { count: 0 };
  const ms = (q) => round(histogram.getValueAtPercentile(q) / 1000, 2);
  return {
    count: histogram.totalCount,
    p50: ms(50),
    p90: ms(90),
    p99: ms(99),
    p999: ms(99.9),
    max: round(histogram.maxValue / 1000, 2),
    mean: round(histogram.mean / 1000, 2),
  };
}

class Client {
  constructor(lg, index, name, url) {
    this.lg = lg;
    this.index = index;
    this.name = name;
    this.url = url;
    this.conn = null;
    this.seq = 0;
    this.inflight = new Map(); // sequenceId → send time
    this.pending = new Map(); // sequenceId → resolve (requests other than sends)
    this.ackIds = [];
    this.token = null;
    this.moving = false;
    this.instance = 0; // index of the instance this client is on (client-side view, S5)
    this.oldConns = new Set();
  }

  request(frame, timeoutMs = 30000, conn = this.conn) {
    const sequenceId = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(sequenceId);
        reject(new Error(`timeout waiting for the answer to type ${frame.messageType}`));
      }, timeoutMs);
      this.pending.set(sequenceId, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      conn.send({ ...frame, sequenceId });
    });
  }

  async connect(url = this.url) {
    const lg = this.lg;
    const open = lg.transport === 'sio' ? openSio : openWs;
    const conn = await open(url, (c, f) => lg.onFrame(this, c, f), (c, code) => lg.onClose(this, c, code));
    return conn;
  }

  /** Registration through the protocol (type 19): only when the users could not be seeded. */
  async register(conn) {
    const r = await this.request(
      { messageType: MessageType.RegisterRequest, username: this.name, password: this.lg.config.login.password },
      120000,
      conn,
    );
    if (!r.success && !/taken|exists/i.test(r.reason ?? '')) throw new Error(`register of ${this.name} refused: ${r.reason}`);
  }

  async login(conn, mode) {
    const lg = this.lg;
    let frame;
    if (lg.target !== 'ours') frame = { messageType: MessageType.LoginRequest, username: this.name };
    else if (mode === 'password')
      frame = { messageType: MessageType.LoginRequest, username: this.name, password: lg.config.login.password };
    else frame = { messageType: MessageType.LoginRequest, token: this.token ?? signToken(lg.config.login.jwtSecret, this.name) };
    const response = await this.request(frame, 60000, conn);
    if (!response.success) throw new Error(`login of ${this.name} refused: ${response.reason}`);
    if (response.token) this.token = response.token;
    return response;
  }

  flushAcks() {
    if (this.ackIds.length === 0 || !this.conn?.open) return;
    while (this.ackIds.length > 0) {
      const ids = this.ackIds.splice(0, 1000);
      this.conn.send({ messageType: MessageType.Ack, sequenceId: ++this.seq, messageIds: ids });
    }
  }
}

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
        void this.onMove(client, conn, f);
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
          this.reason(`type 26: ${f.reason}`);
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

  /** Measures a window: deliveries, sends, latency of live deliveries, CPU and RSS of every process. */
  async window(ms, name = 'max') {
    process.send?.({ type: 'mark', name, edge: 'start' });
    const watch = new ProcWatch([...(this.config.watch ?? []), { name: 'load generator', pid: process.pid }]);
    const before = this.stats.snapshot();
    this.histogram.reset();
    this.loop.reset();
    this.recording = true;
    const t0 = nowMs();
    await sleep(ms);
    const seconds = (nowMs() - t0) / 1000;
    this.recording = false;
    process.send?.({ type: 'mark', name, edge: 'end' });
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

  // --- setup ---------------------------------------------------------------------------------

  buildClients() {
    const { users, urls } = this.config;
    const n = users.count;
    for (let i = 0; i < n; i++) {
      const name = `${users.prefix}${users.start + i}`;
      let instance = 0;
      if (this.config.placement === 'split') instance = i < Math.ceil(n / 2) ? 0 : 1;
      else if (this.config.placement === 'round') instance = i % urls.length;
      const client = new Client(this, i, name, urls[instance]);
      client.instance = instance;
      this.clients.push(client);
    }
  }

  async connectAll() {
    const t0 = Date.now();
    const mode = this.target === 'ours' ? this.config.login.mode : 'plain';
    let failures = 0;
    let firstError = null;
    let loginMode = mode;
    // The first client tries the chosen login; a token refused falls back to passwords for all.
    const first = this.clients[0];
    const register = this.target === 'ours' && this.config.register;
    if (register) {
      log(`registering ${this.clients.length} users through the protocol (argon2 on the server: slow)`);
      await pool(this.clients, 64, async (client) => {
        const conn = await client.connect();
        try {
          await client.register(conn);
        } finally {
          client.oldConns.add(conn);
          conn.close();
        }
      });
      log(`registered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    try {
      first.conn = await first.connect();
      await first.login(first.conn, loginMode);
    } catch (error) {
      if (loginMode === 'token') {
        log(`token login failed (${error.message}); falling back to password logins`);
        loginMode = 'password';
        first.conn ??= await first.connect();
        await first.login(first.conn, loginMode);
      } else throw error;
    }
    const sample = this.target === 'ours' ? (this.config.login.passwordSample ?? 0) : 0;
    await pool(this.clients.slice(1), this.config.connectConcurrency ?? 200, async (client, i) => {
      try {
        client.conn = await client.connect();
        await client.login(client.conn, i < sample ? 'password' : loginMode);
      } catch (error) {
        failures++;
        firstError ??= error.message;
        client.conn?.terminate();
        client.conn = null;
      }
    });
    const seconds = (Date.now() - t0) / 1000;
    const connected = this.clients.filter((c) => c.conn?.open).length;
    log(`${connected}/${this.clients.length} logged in in ${seconds.toFixed(1)} s${failures ? `; ${failures} failed, e.g. ${firstError}` : ''}`);
    if (connected < this.clients.length * 0.99) throw new Error(`only ${connected} of ${this.clients.length} clients logged in: ${firstError}`);
    this.clients = this.clients.filter((c) => c.conn?.open);
    return { connected, failed: failures, firstError, seconds: round(seconds, 1), loginMode, registered: Boolean(register), loginsPerSec: round(connected / seconds) };
  }

  startAcks() {
    this.ackMs = this.target === 'ours' ? (this.config.ackMs ?? 1000) : 0;
    if (this.ackMs <= 0) return;
    this.ackTimer = setInterval(() => {
      for (const c of this.clients) c.flushAcks();
    }, this.ackMs);
  }

  // --- scenarios -----------------------------------------------------------------------------

  async run() {
    this.mode = this.config.scenario;
    this.buildClients();
    this.startAcks();
    const setup = await this.connectAll();
    // Offline leftovers of an earlier run, replayed at login, are not part of any window.
    await sleep(300);
    let result;
    if (this.mode === 'relay') result = await this.relay();
    else if (this.mode === 'group') result = await this.group();
    else if (this.mode === 'idle') result = await this.idle(setup);
    else if (this.mode === 'rebalance') result = await this.rebalance();
    else throw new Error(`unknown scenario ${this.mode}`);
    return { setup, ...result, totals: this.stats.snapshot() };
  }

  async relay() {
    const cfg = this.config.relay;
    const n = this.clients.length;
    let senders = this.clients;
    let recipients = this.clients;
    if (cfg.split) {
      senders = this.clients.filter((c) => c.instance === 0);
      recipients = this.clients.filter((c) => c.instance === 1);
    }
    for (const s of senders) s.isSender = true;
    this.sendersList = senders;
    const names = recipients.map((c) => c.name);
    this.pickRecipient = (client) => {
      for (;;) {
        const name = names[(Math.random() * names.length) | 0];
        if (name !== client.name || names.length === 1) return name;
      }
    };
    const perSender = Math.max(1, Math.ceil((cfg.inflight ?? 4000) / senders.length));
    log(`relay: ${senders.length} senders → ${recipients.length} recipients (${n} clients), ${perSender} in flight each`);

    this.startFlat(perSender);
    await sleep(cfg.warmupMs);
    const max = await this.window(cfg.maxMs);
    this.stopFlat();
    const left = await this.drain(10000);
    log(`max: ${max.deliveredPerSec} delivered/s, p50 ${max.latencyMs.p50} p99 ${max.latencyMs.p99} ms (in flight left ${left})`);

    const rate = Math.max(1, Math.round(max.deliveredPerSec * (cfg.pacedFraction ?? 0.5)));
    const stop = this.startPaced(rate, cfg.maxInflight ?? 50000);
    await sleep(cfg.pacedWarmupMs);
    const paced = await this.window(cfg.pacedMs, 'paced');
    stop();
    const left2 = await this.drain(5000);
    log(`paced at ${rate}/s: ${paced.deliveredPerSec} delivered/s, p50 ${paced.latencyMs.p50} p99 ${paced.latencyMs.p99} p999 ${paced.latencyMs.p999} ms`);
    return { senders: senders.length, recipients: recipients.length, perSenderInflight: perSender, max, paced: { targetRate: rate, ...paced }, unfinished: left2 };
  }

  async group() {
    const cfg = this.config.group;
    this.groupName = cfg.groupName;
    const creator = this.clients[0];
    const create = await creator.request(this.target === 'ours' ? { messageType: MessageType.GroupCreateRequest, groupName: cfg.groupName, members: [] } : { messageType: MessageType.GroupCreateRequest, groupName: cfg.groupName });
    if (!create.success) throw new Error(`group create refused: ${create.reason}`);
    const t0 = Date.now();
    let refused = 0;
    let reason = null;
    await pool(this.clients.slice(1), 100, async (client) => {
      const r = await client
        .request({ messageType: MessageType.GroupJoinRequest, groupName: cfg.groupName })
        .catch((e) => ({ success: false, reason: e.message }));
      if (!r.success) {
        refused++;
        reason ??= r.reason;
      }
    });
    log(`group ${cfg.groupName}: ${this.clients.length - refused} members joined in ${((Date.now() - t0) / 1000).toFixed(1)} s${refused ? `, ${refused} refused (${reason})` : ''}`);
    // Senders alternate between the instances.
    const byInstance = [0, 1].map((i) => this.clients.filter((c) => c.instance === i));
    const senders = [];
    for (let k = 0; senders.length < cfg.senders && k < this.clients.length; k++) {
      const list = byInstance[k % 2].length ? byInstance[k % 2] : this.clients;
      const c = list[Math.floor(k / 2) % list.length];
      if (!senders.includes(c)) senders.push(c);
    }
    for (const s of senders) s.isSender = true;
    this.sendersList = senders;
    const perSender = cfg.window ?? 8;
    this.startFlat(perSender);
    await sleep(cfg.warmupMs);
    const max = await this.window(cfg.maxMs);
    this.stopFlat();
    const left = await this.drain(10000);
    log(`group: ${max.deliveredPerSec} deliveries/s, ${max.ackedPerSec} sends/s, p50 ${max.latencyMs.p50} p99 ${max.latencyMs.p99} ms (in flight left ${left})`);
    return { members: this.clients.length - refused, senders: senders.length, perSenderInflight: perSender, max };
  }

  async idle(setup) {
    process.send?.({ type: 'ready', connected: setup.connected });
    await new Promise((resolve) => {
      process.on('message', (m) => {
        if (m?.cmd === 'exit') resolve();
      });
    });
    return {};
  }

  // --- S5 ------------------------------------------------------------------------------------

  async onMove(client, conn, f) {
    if (conn !== client.conn || client.moving) return;
    client.moving = true;
    this.moves++;
    const started = nowMs();
    try {
      const next = await client.connect(f.url);
      await client.login(next, 'token');
      const old = client.conn;
      client.conn = next;
      client.url = f.url;
      client.instance = this.config.urls.indexOf(f.url);
      client.oldConns.add(old);
      this.moveTimes.push(nowMs() - started); // connect + token login on the new instance
      // The old connection stays until the answers to what was sent on it came back.
      const deadline = Date.now() + 3000;
      while (client.inflight.size > 0 && Date.now() < deadline) await sleep(20);
      client.flushAcks();
      old.close();
    } catch (error) {
      this.moveFailures++;
      this.reason(`move failed: ${error.message}`);
    } finally {
      client.moving = false;
    }
  }

  async instancesView() {
    const r = await httpJson('GET', `${this.config.rebalance.httpUrls[0]}/cluster/instances`, { token: this.config.rebalance.adminToken });
    if (r.status !== 200 || !Array.isArray(r.json?.data)) throw new Error(`/cluster/instances: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    return r.json.data.map((i) => ({ host: i.host, connections: i.connections, users: i.users }));
  }

  static balanced(counts, tolerance) {
    const total = counts.reduce((a, b) => a + b, 0);
    const mean = total / counts.length;
    return total > 0 && counts.every((c) => Math.abs(c - mean) <= tolerance * mean);
  }

  async rebalance() {
    const cfg = this.config.rebalance;
    this.track = true;
    this.moveTimes = [];
    this.config.reconnect = true;
    const names = this.clients.map((c) => c.name);
    this.pickRecipient = (client) => {
      for (;;) {
        const name = names[(Math.random() * names.length) | 0];
        if (name !== client.name) return name;
      }
    };
    this.sendersList = this.clients.slice(0, cfg.senders);
    for (const s of this.sendersList) s.isSender = true;

    const stopSending = this.startPaced(cfg.rate, 0);
    await sleep(cfg.preMs);
    // The registry learns the counts from heartbeats: start from the state where it sees everyone.
    let before = await this.instancesView();
    const settleUntil = Date.now() + 15000;
    while (before.reduce((a, i) => a + i.connections, 0) < this.clients.length && Date.now() < settleUntil) {
      await sleep(200);
      before = await this.instancesView();
    }
    log(`before: ${before.map((i) => `${i.host}=${i.connections}`).join(' ')}`);

    const ackedBefore = this.stats.acked;
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
      const local = this.config.urls.map((_, i) => this.clients.filter((c) => c.instance === i && c.conn?.open).length);
      if (clientBalancedAt === null && LoadGenerator.balanced(local, cfg.tolerance)) clientBalancedAt = elapsed;
      try {
        lastView = await this.instancesView();
      } catch (error) {
        this.reason(error.message);
      }
      const counts = lastView.map((i) => i.connections);
      timeline.push({ ms: round(elapsed), registry: counts, clients: local });
      if (lastView.length === this.config.urls.length && LoadGenerator.balanced(counts, cfg.tolerance)) {
        balancedAt = nowMs() - t0;
        break;
      }
      await sleep(100);
    }
    const ackedDuringMove = this.stats.acked - ackedBefore;
    log(balancedAt === null ? `not balanced after ${cfg.timeoutMs} ms: ${JSON.stringify(lastView)}` : `balanced after ${round(balancedAt)} ms: ${lastView.map((i) => `${i.host}=${i.connections}`).join(' ')}`);
    await sleep(cfg.postMs);
    stopSending();
    await this.drain(10000);

    // Every acknowledged message must reach its recipient.
    const missing = () => {
      const out = [];
      for (const [id, { to }] of this.acked) if (!this.received.get(to)?.has(id)) out.push({ id, to });
      return out;
    };
    const deadline = Date.now() + 10000;
    while (missing().length > 0 && Date.now() < deadline) await sleep(200);
    const lost = missing();
    // A recipient that missed one logs in again: what is stored and unacknowledged comes back.
    let recovered = 0;
    if (lost.length > 0) {
      const recipients = [...new Set(lost.map((m) => m.to))];
      const byName = new Map(this.clients.map((c) => [c.name, c]));
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
    const final = await this.instancesView().catch(() => lastView);
    this.stopping = true;
    const moveTimes = this.moveTimes.sort((a, b) => a - b);
    return {
      clients: this.clients.length,
      before,
      after: final,
      plan,
      balancedAfterMs: balancedAt === null ? null : round(balancedAt),
      clientViewBalancedAfterMs: clientBalancedAt === null ? null : round(clientBalancedAt),
      moves: this.moves,
      moveFailures: this.moveFailures,
      moveMsP50: moveTimes.length ? round(moveTimes[Math.floor(moveTimes.length / 2)], 1) : null,
      moveMsMax: moveTimes.length ? round(moveTimes[moveTimes.length - 1], 1) : null,
      ackedDuringMove,
      ackedTotal: this.acked.size,
      lostBeforeRelogin: lost.length,
      lost: lost.length - recovered,
      lostSample: lost.slice(0, 5),
      timeline: timeline.filter((_, i) => i % 5 === 0).slice(0, 40),
    };
  }

  close() {
    this.stopping = true;
    clearInterval(this.ackTimer);
    for (const c of this.clients) c.conn?.terminate();
  }
}

const USAGE = `Usage: node bench/load.js CONFIG.json [--help]

The load generator on its own: runs the scenario CONFIG.json describes, a config as bench/run.js
builds it (baseLoadConfig) and sends it over IPC, against servers already running, and prints the
result as JSON. npm run bench forks it; by hand it is for debugging one scenario.
`;

/** The config named by the command line; ends the process for --help (0), a usage error (2) or an unreadable file (1). */
function configOrExit(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (!parsed.values.help && parsed.positionals.length !== 1) throw new Error(`one CONFIG.json, got ${parsed.positionals.length}`);
  } catch (error) {
    process.stderr.write(`load: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const [file] = parsed.positionals;
  try {
    return JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
  } catch (error) {
    process.stderr.write(`load: cannot read the config ${file}: ${error.message}\n`);
    process.exit(1);
  }
}

async function main(config) {
  const lg = new LoadGenerator(config);
  try {
    const result = await lg.run();
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: error.stack ?? String(error), totals: lg.stats.snapshot() };
  } finally {
    lg.close();
  }
}

if (process.send) {
  process.once('message', (m) => {
    if (m?.cmd !== 'run') return;
    main(m.config).then((out) => {
      process.send({ type: 'result', ...out }, () => process.exit(0));
    });
  });
} else if (require.main === module) {
  const config = configOrExit(process.argv.slice(2));
  main(config).then((out) => {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.exit(out.ok ? 0 : 1);
  });
}

module.exports = { LoadGenerator };
