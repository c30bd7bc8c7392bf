'use strict';
// The load generator's two transports behind one connection shape ({send, close, terminate, open}):
// raw `ws` for our server and B0, socket.io-client for B1.
const WebSocket = require('ws');
const { parseFrame } = require('../lib/common');

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
      const frame = parseFrame(data);
      if (frame !== undefined) onFrame(conn, frame);
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
    const socket = ioClient(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
      perMessageDeflate: false,
    });
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

module.exports = { openWs, openSio };
