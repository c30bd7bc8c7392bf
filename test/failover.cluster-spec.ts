import Redis, { Cluster } from 'ioredis';
import { TestFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { PrivateTopology } from './helpers/services';
import { sleep, until } from './helpers/wait';

type Health = { registry: string };

/** Ports of the private topologies: apart from the shared ones (7101-7106, 6390-6391, 26390-26392). */
const CLUSTER_BASE = 7121;
const SENTINEL_BASE = 6395;
const SENTINELS_BASE = 26395;
const USERS = 20;

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/**
 * A Redis node dies under load and its replica takes over. What must hold: the instances keep
 * serving or refuse with a reason, no acknowledged message is lost, the sessions are bound again
 * (a message sent afterwards is delivered live), and the outage shows in /health and the metrics.
 */
describe('failover under load', () => {
  jest.setTimeout(180000);

  async function runFailover(topology: PrivateTopology, kill: () => Promise<void>): Promise<void> {
    // One world per topology, inside the test: the topology is started by the describe's beforeAll.
    const fixture = await new TestFixture({ mode: 'cluster' }).setup();
    const [a, b] = await fixture.startMany(2, {
      ...topology.env,
      HEARTBEAT_MS: '300',
      INSTANCE_TTL_MS: '1500',
      RATE_LIMIT_PER_SEC: '1000',
      RATE_LIMIT_BURST: '1000',
    });
    const fleet = fixture.fleet((lost) => lost);
    try {
      for (let i = 0; i < USERS; i++) {
        await fleet.add((i % 2 === 0 ? a : b).wsUrl, await fixture.registered(a, 'fo'), 'secret-pass');
      }
      fleet.startSending(USERS, 50);
      await sleep(1000);
      const sentBefore = fleet.acked.size;

      // Injected: the node dies (SIGKILL) with the load running.
      let outageSeen = false;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const health = await a.http<Health>('GET', '/health').catch(() => null);
          if (health?.status === 503 && health.body.data.registry === 'down') outageSeen = true;
          await sleep(100);
        }
      })();
      await kill();

      // Checked: the outage shows in /health (503, registry down) and ends by itself once the replica took over.
      await until(
        async () => outageSeen,
        (seen) => seen,
        30000,
        '/health reporting the registry down',
      );
      for (const instance of [a, b]) {
        await until(
          async () => (await instance.http('GET', '/health')).status,
          (status) => status === 200,
          60000,
          'healthy after the failover',
        );
      }
      watching = false;
      await watcher;
      // Checked: and in the metrics, on both instances: the failover counted as a recovery (the
      // registry re-binds its sessions), and the registry gauge back to 1. Both are waited for, as
      // /health was: the failover is seen in the client's slot map (polled each second), and one
      // heartbeat landing late on a loaded machine (over INSTANCE_TTL_MS - HEARTBEAT_MS, 1.2 s
      // here) sets the gauge to 0 until the next one.
      const metricOf = async (instance: Instance, name: string) =>
        metric((await instance.http('GET', '/metrics', { auth: 'admin' })).text, name);
      for (const instance of [a, b]) {
        await until(
          () => metricOf(instance, 'chat_registry_recoveries_total'),
          (n) => n > 0,
          15000,
          'the failover counted',
        );
        await until(
          () => metricOf(instance, 'chat_registry_up'),
          (up) => up === 1,
          30000,
          'chat_registry_up back to 1',
        );
      }

      await sleep(1500);
      await fleet.stopSending();
      // Checked: traffic went on around the outage; refusals carried a reason; nothing acknowledged is lost or doubled.
      expect(fleet.acked.size).toBeGreaterThan(sentBefore);
      expect(fleet.sendErrors.every((reason) => typeof reason === 'string' && reason.length > 0)).toBe(true);
      expect(await fleet.waitForDelivery(30000)).toEqual([]);
      expect(fleet.duplicates()).toEqual([]);
      // Checked: every session is bound again: a message to each user, from a client on the other instance, is delivered live.
      for (let i = 0; i < USERS; i++) {
        const ack = await fleet.clients[(i + 1) % USERS].sendChat(fleet.names[i], 'after the failover');
        expect({ to: fleet.names[i], delivered: ack.delivered }).toEqual({ to: fleet.names[i], delivered: true });
      }
      expect(await fleet.waitForDelivery(20000)).toEqual([]);
    } catch (error) {
      // What the instances logged (with the time), and where the undelivered messages were going.
      for (const [label, instance] of [
        ['a', a],
        ['b', b],
      ] as const) {
        console.log(
          `instance ${label}:\n${instance.logs
            .split('\n')
            .filter((l) => /"level":(40|50)/.test(l))
            .map((l) => l.slice(0, 300))
            .join('\n')}`,
        );
      }
      const missing = fleet.missing();
      const byRecipient = new Map<string, number>();
      for (const id of missing) {
        const to = fleet.acked.get(id)!;
        const key = `${to} (on ${fleet.names.indexOf(to) % 2 === 0 ? 'a' : 'b'})`;
        byRecipient.set(key, (byRecipient.get(key) ?? 0) + 1);
      }
      console.log(`undelivered by recipient: ${JSON.stringify([...byRecipient])}`);
      throw error;
    } finally {
      await fixture.dispose();
    }
  }

  describe('a Redis Cluster master killed', () => {
    let topology: PrivateTopology;

    beforeAll(() => {
      topology = PrivateTopology.cluster(CLUSTER_BASE);
    });

    afterAll(() => topology?.stop());

    it('its replica takes over; no acknowledged message is lost and the killed node rejoins as a replica', async () => {
      const probe = new Cluster([{ host: '127.0.0.1', port: CLUSTER_BASE }]);
      try {
        // The master of the instance list's slot: every heartbeat fails until its replica is promoted.
        const slot = Number(await probe.cluster('KEYSLOT', '{instances}'));
        const victim = Number(probe.slots[slot][0].split(':')[1]);
        await runFailover(topology, async () => topology.kill(victim));
        topology.restart(victim);
        await until(
          async () =>
            String(
              await probe
                .nodes('all')
                .find((n) => n.options.port !== victim)!
                .cluster('NODES'),
            ),
          (nodes) => nodes.split('\n').some((line) => line.includes(`:${victim}@`) && line.includes('slave') && !line.includes('fail')),
          30000,
          'killed master back as a replica',
        );
      } finally {
        probe.disconnect();
      }
    });
  });

  describe('the Sentinel primary killed', () => {
    let topology: PrivateTopology;

    beforeAll(() => {
      topology = PrivateTopology.sentinel(SENTINEL_BASE, SENTINELS_BASE);
    });

    afterAll(() => topology?.stop());

    it(
      'Sentinel promotes the replica and the instances follow; no acknowledged message is lost; ' +
        'the old primary comes back as a replica',
      async () => {
        await runFailover(topology, async () => topology.kill(SENTINEL_BASE));
        topology.restart(SENTINEL_BASE);
        const old = new Redis({ port: SENTINEL_BASE, lazyConnect: true });
        old.on('error', () => undefined);
        try {
          await until(
            async () => String(await old.info('replication').catch(() => '')),
            (info) => info.includes('role:slave'),
            60000,
            'old primary back as a replica',
          );
        } finally {
          old.disconnect();
        }
      },
    );
  });
});
