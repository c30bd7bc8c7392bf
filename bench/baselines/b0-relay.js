'use strict';
// B0: the ceiling of Node and `ws` on this machine. A map from user to sockets, no storage, no
// checks beyond what routing needs. It speaks the frame shapes of the chat server so that one
// load generator drives all targets:
//   {messageType:MessageType.LoginRequest, username}                → 18 LoginResponse
//   {messageType:MessageType.ChatRequest, to, content, sequenceId}  → 6 to every socket of `to`, 6 ack (content null) to the sender
//   {messageType:MessageType.GroupCreateRequest, groupName} / {11, groupName} → create / join (10 / 12)
//   {messageType:MessageType.GroupChatRequest, groupName, content}       → 8 to every member socket, the sender's included
//   {messageType:MessageType.Ping} → 2; {messageType:MessageType.Ack} ignored
// The answers are ./answers.js, shared with B1; this file routes them.
// Usage: node bench/baselines/b0-relay.js PORT   (or PORT=... env)
const { WebSocketServer } = require('ws');
const { parseFrame } = require('../lib/common');
const { answer } = require('./answers');

const port = Number(process.argv[2] ?? process.env.PORT ?? 9300);
const users = new Map(); // name → Set<ws>
const groups = new Map(); // name → Set<ws>
let nextId = 1n;
const messageId = () => String(nextId++);

const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 32768, clientTracking: false });

function send(ws, frame) {
  if (ws.readyState === 1) ws.send(frame);
}

/** Adds `ws` to the set of `key` in `map`. */
function enter(map, key, ws) {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(ws);
}

/** Sends `frame` to every socket of a set, serialised once. */
function sendAll(sockets, frame) {
  if (!sockets) return;
  const text = JSON.stringify(frame);
  for (const ws of sockets) send(ws, text);
}

wss.on('connection', (ws) => {
  const joined = new Set();
  const peer = {
    name: null,
    reply: (frame) => send(ws, JSON.stringify(frame)),
    login: (name) => enter(users, name, ws),
    join: (group) => {
      enter(groups, group, ws);
      joined.add(group);
    },
    toUser: (name, frame) => {
      const sockets = users.get(name);
      sendAll(sockets, frame);
      return sockets !== undefined;
    },
    toGroup: (group, frame) => sendAll(groups.get(group), frame),
    messageId,
  };
  ws.on('error', () => undefined);
  ws.on('close', () => {
    if (peer.name !== null) {
      const set = users.get(peer.name);
      if (set) {
        set.delete(ws);
        if (set.size === 0) users.delete(peer.name);
      }
    }
    for (const g of joined) groups.get(g)?.delete(ws);
  });
  ws.on('message', (data) => {
    const f = parseFrame(data);
    if (f !== undefined) answer(f, peer);
  });
});

wss.on('listening', () => process.stdout.write(`b0 listening on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
