'use strict';
// What both baselines answer, in the frame shapes of the chat server, so that they differ only in
// how they route: B0 through maps of sockets, B1 through Socket.IO rooms and the Redis adapter.
// The message types of src/protocol, from the build (npm run build).
const { MessageType, RESPONSE_TYPE } = require('../../dist/protocol');

/**
 * Answers one frame `f` of a connection. `peer` is that connection's side of the routing:
 * - `name`: the name it logged in with, or null (set here on login);
 * - `reply(frame)`: sends to this connection;
 * - `login(name)` and `join(group)`: route a user's or a group's frames to this connection too;
 * - `toUser(name, frame)`: sends to every connection of a user, and tells whether there was one;
 * - `toGroup(group, frame)`: sends to every connection that joined the group;
 * - `messageId()`: the next message id of the server.
 */
function answer(f, peer) {
  const seq = f.sequenceId ?? 0;
  const time = new Date().toISOString();
  switch (f.messageType) {
    case MessageType.Ping:
      peer.reply({ messageType: MessageType.Pong, sequenceId: seq, requestTime: f.requestTime ?? null, time });
      return;
    case MessageType.LoginRequest:
      peer.name = String(f.username);
      peer.login(peer.name);
      peer.reply({
        messageType: MessageType.LoginResponse,
        sequenceId: seq,
        success: true,
        reason: null,
        username: peer.name,
        token: null,
        time,
      });
      return;
    case MessageType.ChatRequest: {
      if (peer.name === null) return;
      const messageId = peer.messageId();
      const chat = (content, delivered) => ({
        messageType: MessageType.ChatResponse,
        sequenceId: seq,
        success: true,
        reason: null,
        from: peer.name,
        to: f.to,
        content,
        messageId,
        delivered,
        offline: false,
        time,
      });
      const delivered = peer.toUser(f.to, chat(f.content, true));
      peer.reply(chat(null, delivered));
      return;
    }
    case MessageType.GroupCreateRequest:
    case MessageType.GroupJoinRequest: {
      const groupName = String(f.groupName);
      peer.join(groupName);
      peer.reply({ messageType: RESPONSE_TYPE[f.messageType], sequenceId: seq, success: true, reason: null, groupName, time });
      return;
    }
    case MessageType.GroupChatRequest:
      if (peer.name === null) return;
      peer.toGroup(f.groupName, {
        messageType: MessageType.GroupChatResponse,
        sequenceId: seq,
        success: true,
        reason: null,
        from: peer.name,
        groupName: f.groupName,
        content: f.content,
        messageId: peer.messageId(),
        offline: false,
        time,
      });
      return;
    default:
      return;
  }
}

module.exports = { answer };
