'use strict';
// One simulated user of the load generator: its connection, its requests by sequenceId, its sends
// in flight and the acknowledgements it owes.
const { signToken } = require('../lib/common');
const { openWs, openSio } = require('./transports');
// The message types of src/protocol, from the build (npm run build).
const { MessageType } = require('../../dist/protocol');

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
    const conn = await open(
      url,
      (c, f) => lg.onFrame(this, c, f),
      (c, code) => lg.onClose(this, c, code),
    );
    return conn;
  }

  /** Registration through the protocol (RegisterRequest): only when the users could not be seeded. */
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

module.exports = { Client };
