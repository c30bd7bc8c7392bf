'use strict';
// B0: the ceiling of Node and `ws` on this machine. A map from user to sockets, no storage, no
// checks beyond what routing needs. It speaks the frame shapes of the chat server so that one
// load generator drives all targets:
//   {messageType:MessageType.LoginRequest, username}                → 18 LoginResponse
//   {messageType:MessageType.ChatRequest, to, content, sequenceId}  → 6 to every socket of `to`, 6 ack (content null) to the sender
//   {messageType:MessageType.GroupCreateRequest, groupName} / {11, groupName} → create / join (10 / 12)
//   {messageType:MessageType.GroupChatRequest, groupName, content}       → 8 to every member socket, the sender's included
//   {messageType:MessageType.Ping} → 2; {messageType:MessageType.Ack} ignored
// Usage: node bench/baselines/b0-relay.js PORT   (or PORT=... env)
const { WebSocketServer } = require('ws');
// The message types of src/protocol, from the build (npm run build).
const { MessageType, RESPONSE_TYPE } = require('../../dist/protocol');

const port = Number(process.argv[2] ?? process.env.PORT ?? 9300);
const users = new Map(); // name → Set<ws>
const groups = new Map(); // name → Set<ws>
let nextId = 1n;

const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 32768, clientTracking: false });

function send(ws, frame) {
  if (ws.readyState === 1) ws.send(frame);
}

wss.on('connection', (ws) => {
  let name = null;
  const joined = new Set();
  ws.on('error', () => undefined);
  ws.on('close', () => {
    if (name !== null) {
      const set = users.get(name);
      if (set) {
        set.delete(ws);
        if (set.size === 0) users.delete(name);
      }
    }
    for (const g of joined) groups.get(g)?.delete(ws);
  });
  ws.on('message', (data) => {
    let f;
    try {
      f = JSON.parse(data.toString());
    } catch {
      return;
    }
    const seq = f.sequenceId ?? 0;
    const time = new Date().toISOString();
    switch (f.messageType) {
      case MessageType.Ping:
        send(ws, JSON.stringify({ messageType: MessageType.Pong, sequenceId: seq, requestTime: f.requestTime ?? null, time }));
        return;
      case MessageType.LoginRequest: {
        name = String(f.username);
        let set = users.get(name);
        if (!set) users.set(name, (set = new Set()));
        set.add(ws);
        send(
          ws,
          JSON.stringify({
            messageType: MessageType.LoginResponse,
            sequenceId: seq,
            success: true,
            reason: null,
            username: name,
            token: null,
            time,
          }),
        );
        return;
      }
      case MessageType.ChatRequest: {
        if (name === null) return;
        const messageId = String(nextId++);
        const targets = users.get(f.to);
        const frame = JSON.stringify({
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
        if (targets) for (const target of targets) send(target, frame);
        send(
          ws,
          JSON.stringify({
            messageType: MessageType.ChatResponse,
            sequenceId: seq,
            success: true,
            reason: null,
            from: name,
            to: f.to,
            content: null,
            messageId,
            delivered: targets !== undefined,
            offline: false,
            time,
          }),
        );
        return;
      }
      case MessageType.GroupCreateRequest:
      case MessageType.GroupJoinRequest: {
        const g = String(f.groupName);
        let set = groups.get(g);
        if (!set) groups.set(g, (set = new Set()));
        set.add(ws);
        joined.add(g);
        send(
          ws,
          JSON.stringify({ messageType: RESPONSE_TYPE[f.messageType], sequenceId: seq, success: true, reason: null, groupName: g, time }),
        );
        return;
      }
      case MessageType.GroupChatRequest: {
        if (name === null) return;
        const members = groups.get(f.groupName);
        const frame = JSON.stringify({
          messageType: MessageType.GroupChatResponse,
          sequenceId: seq,
          success: true,
          reason: null,
          from: name,
          groupName: f.groupName,
          content: f.content,
          messageId: String(nextId++),
          offline: false,
          time,
        });
        if (members) for (const member of members) send(member, frame);
        return;
      }
      default:
        return;
    }
  });
});

wss.on('listening', () => process.stdout.write(`b0 listening on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
