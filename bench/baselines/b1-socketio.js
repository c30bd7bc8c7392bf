'use strict';
// B1: Socket.IO with @socket.io/redis-adapter doing the routing of the chat server, without storage:
// a room per user (`user:NAME`) and per group (`group:NAME`); every emit to a room goes through the
// adapter (Redis pub/sub), so one instance pays the adapter too and two instances route through it.
// Events: the client emits 'm' with the same JSON frames as the chat server; the server emits 'm'.
// Usage: node bench/baselines/b1-socketio.js PORT [REDIS_URL] [KEY_PREFIX]
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const Redis = require('ioredis');
// The message types of src/protocol, from the build (npm run build).
const { MessageType, RESPONSE_TYPE } = require('../../dist/protocol');

const port = Number(process.argv[2] ?? process.env.PORT ?? 9400);
const redisUrl = process.argv[3] ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const key = process.argv[4] ?? process.env.KEY_PREFIX ?? `bench-b1-${process.pid}`;
let nextId = 1;
const idBase = `${port}`;

const pub = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
const sub = pub.duplicate();
const http = require('node:http').createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 32768 });
io.adapter(createAdapter(pub, sub, { key }));

io.on('connection', (socket) => {
  let name = null;
  socket.on('m', (f) => {
    if (typeof f !== 'object' || f === null) return;
    const seq = f.sequenceId ?? 0;
    const time = new Date().toISOString();
    switch (f.messageType) {
      case MessageType.Ping:
        socket.emit('m', { messageType: MessageType.Pong, sequenceId: seq, requestTime: f.requestTime ?? null, time });
        return;
      case MessageType.LoginRequest:
        name = String(f.username);
        socket.join(`user:${name}`);
        socket.emit('m', {
          messageType: MessageType.LoginResponse,
          sequenceId: seq,
          success: true,
          reason: null,
          username: name,
          token: null,
          time,
        });
        return;
      case MessageType.ChatRequest: {
        if (name === null) return;
        const messageId = `${idBase}${nextId++}`;
        io.to(`user:${f.to}`).emit('m', {
          messageType: MessageType.ChatResponse,
          sequenceId: seq,
          success: true,
          reason: null,
          from: name,
          to: f.to,
          content: f.content,
          messageId,
          delivered: true,
          offline: false,
          time,
        });
        socket.emit('m', {
          messageType: MessageType.ChatResponse,
          sequenceId: seq,
          success: true,
          reason: null,
          from: name,
          to: f.to,
          content: null,
          messageId,
          delivered: true,
          offline: false,
          time,
        });
        return;
      }
      case MessageType.GroupCreateRequest:
      case MessageType.GroupJoinRequest: {
        const g = String(f.groupName);
        socket.join(`group:${g}`);
        socket.emit('m', { messageType: RESPONSE_TYPE[f.messageType], sequenceId: seq, success: true, reason: null, groupName: g, time });
        return;
      }
      case MessageType.GroupChatRequest: {
        if (name === null) return;
        io.to(`group:${f.groupName}`).emit('m', {
          messageType: MessageType.GroupChatResponse,
          sequenceId: seq,
          success: true,
          reason: null,
          from: name,
          groupName: f.groupName,
          content: f.content,
          messageId: `${idBase}${nextId++}`,
          offline: false,
          time,
        });
        return;
      }
      default:
        return;
    }
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
