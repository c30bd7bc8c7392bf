'use strict';
// B1: Socket.IO with @socket.io/redis-adapter doing the routing of the chat server, without storage:
// a room per user (`user:NAME`) and per group (`group:NAME`); every emit to a room goes through the
// adapter (Redis pub/sub), so one instance pays the adapter too and two instances route through it.
// Events: the client emits 'm' with the same JSON frames as the chat server; the server emits 'm'.
// The answers are ./answers.js, shared with B0; this file routes them.
// Usage: node bench/baselines/b1-socketio.js PORT [REDIS_URL] [KEY_PREFIX]
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const Redis = require('ioredis');
const { answer } = require('./answers');

const port = Number(process.argv[2] ?? process.env.PORT ?? 9400);
const redisUrl = process.argv[3] ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const key = process.argv[4] ?? process.env.KEY_PREFIX ?? `bench-b1-${process.pid}`;
let nextId = 1;
const idBase = `${port}`;
const messageId = () => `${idBase}${nextId++}`;

const pub = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
const sub = pub.duplicate();
const http = require('node:http').createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 32768 });
io.adapter(createAdapter(pub, sub, { key }));

io.on('connection', (socket) => {
  const peer = {
    name: null,
    reply: (frame) => socket.emit('m', frame),
    login: (name) => socket.join(`user:${name}`),
    join: (group) => socket.join(`group:${group}`),
    // The adapter does not tell whether the room has anyone: every message counts as delivered.
    toUser: (name, frame) => {
      io.to(`user:${name}`).emit('m', frame);
      return true;
    },
    toGroup: (group, frame) => io.to(`group:${group}`).emit('m', frame),
    messageId,
  };
  socket.on('m', (f) => {
    if (typeof f === 'object' && f !== null) answer(f, peer);
  });
});

Promise.all([
  new Promise((resolve) => (pub.status === 'ready' ? resolve() : pub.once('ready', resolve))),
  new Promise((resolve) => (sub.status === 'ready' ? resolve() : sub.once('ready', resolve))),
]).then(() => {
  http.listen(port, '127.0.0.1', () => process.stdout.write(`b1 listening on ${port}\n`));
});

process.on('SIGTERM', () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
