import * as argon2 from 'argon2';
import { Client } from 'pg';
import { MessageType } from '../src/protocol';
import { JWT_SECRET } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { forgeToken, nowSeconds } from './helpers/tokens';
import { sleep, until } from './helpers/wait';
import { WsTestClient, loggedIn, uniqueName } from './helpers/ws-client';

/**
 * Fault injection: 2,000 clients reconnecting at once to one instance. It tests one instance's
 * connection handling, not the Redis topology, so it runs once (in the `cluster` project): two
 * such storms at once on a small machine refuse connections whatever the code does.
 */
describe('a reconnect storm', () => {
  jest.setTimeout(120000);
  const fixture = useFixture({ mode: 'cluster' });
  let server: Instance;
  const STORM = 2000;

  beforeAll(async () => {
    server = await fixture.start({ MAX_SESSIONS_PER_USER: '5' });
  });

  it('keeps answering pings and logins while 2,000 clients reconnect at once', async () => {
    // Setup: 2,000 accounts written straight to the database (hashing 2,000 passwords would take a minute).
    const hash = await argon2.hash('secret-pass', { type: argon2.argon2id });
    const names = Array.from({ length: STORM }, () => uniqueName('storm'));
    const db = new Client({ connectionString: fixture.env.databaseUrl });
    await db.connect();
    try {
      await db.query('INSERT INTO users (username, password_hash) SELECT unnest($1::text[]), $2', [names, hash]);
    } finally {
      await db.end();
    }
    const { name: probeName, client: probe } = await fixture.user(server, 'probe');
    const pings: Promise<unknown>[] = [];
    let pinging = true;
    const pinger = (async () => {
      while (pinging) {
        pings.push(probe.request({ messageType: MessageType.Ping, requestTime: Date.now() }, 60000));
        await sleep(50);
      }
    })();

    // Injected: every client opens its connection with its token at the same moment, twice.
    // On a failure the pinger stops too: left running, its pings would time out in the next suite.
    try {
      await storm();
    } finally {
      pinging = false;
      await pinger;
      // Marked handled for a failed storm; Promise.all below still sees a rejection.
      for (const ping of pings) ping.catch(() => undefined);
    }
    // Checked: every ping sent during the storm was answered.
    const answered = await Promise.all(pings);
    expect(answered.length).toBeGreaterThan(10);
    expect(answered.every((f) => (f as { messageType: number }).messageType === MessageType.Pong)).toBe(true);
    probe.close();

    async function storm(): Promise<void> {
      for (let round = 0; round < 2; round++) {
        const clients = await Promise.all(
          names.map((name) =>
            WsTestClient.connect(
              `${server.wsUrl}?token=${forgeToken({ sub: name, iat: nowSeconds(), exp: nowSeconds() + 600 }, { secret: JWT_SECRET })}`,
            ),
          ),
        );
        const logins = await Promise.all(clients.map((c) => c.next((f) => f.messageType === MessageType.LoginResponse, 60000)));
        // Checked: every client is logged in, and a password login in the middle of it works.
        expect(logins.filter((f) => f.success === true)).toHaveLength(STORM);
        const passwordLogin = await loggedIn(server.wsUrl, probeName, 'secret-pass', false);
        passwordLogin.close();
        await until(
          async () => (await server.http<number>('GET', '/getOnlineUserCount')).body.data,
          (n) => n === STORM + 1,
          20000,
          'all online',
        );
        for (const client of clients) client.close();
        await Promise.all(clients.map((c) => c.closed));
      }
    }
  });
});
