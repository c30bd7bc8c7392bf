'use strict';
// The load generator's clients, one per user, placed on the instances and logged in.
const { round, pool } = require('../lib/common');
const { log } = require('./log');
const { Client } = require('./client');

function buildClients(lg) {
  const { users, urls } = lg.config;
  const n = users.count;
  for (let i = 0; i < n; i++) {
    const name = `${users.prefix}${users.start + i}`;
    let instance = 0;
    if (lg.config.placement === 'split') instance = i < Math.ceil(n / 2) ? 0 : 1;
    else if (lg.config.placement === 'round') instance = i % urls.length;
    const client = new Client(lg, i, name, urls[instance]);
    client.instance = instance;
    lg.clients.push(client);
  }
}

async function connectAll(lg) {
  const t0 = Date.now();
  const mode = lg.target === 'ours' ? lg.config.login.mode : 'plain';
  let failures = 0;
  let firstError = null;
  let loginMode = mode;
  // The first client tries the chosen login; a token refused falls back to passwords for all.
  const first = lg.clients[0];
  const register = lg.target === 'ours' && lg.config.register;
  if (register) {
    log(`registering ${lg.clients.length} users through the protocol (argon2 on the server: slow)`);
    await pool(lg.clients, 64, async (client) => {
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
  const sample = lg.target === 'ours' ? (lg.config.login.passwordSample ?? 0) : 0;
  await pool(lg.clients.slice(1), lg.config.connectConcurrency ?? 200, async (client, i) => {
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
  const connected = lg.clients.filter((c) => c.conn?.open).length;
  log(
    `${connected}/${lg.clients.length} logged in in ${seconds.toFixed(1)} s${failures ? `; ${failures} failed, e.g. ${firstError}` : ''}`,
  );
  if (connected < lg.clients.length * 0.99) throw new Error(`only ${connected} of ${lg.clients.length} clients logged in: ${firstError}`);
  lg.clients = lg.clients.filter((c) => c.conn?.open);
  return {
    connected,
    failed: failures,
    firstError,
    seconds: round(seconds, 1),
    loginMode,
    registered: Boolean(register),
    loginsPerSec: round(connected / seconds),
  };
}

module.exports = { buildClients, connectAll };
