/**
 * Redis cost of each operation, measured: commands (INFO commandstats) and bytes (INFO stats)
 * that a login, a 1:1 message, a group message and a heartbeat cost, on a Redis of its own.
 * Run: `npm run build && npx ts-node --transpile-only bench/redis-cost.ts [single|cluster]`
 * (PostgreSQL on 127.0.0.1:5432 as for the tests; `cluster` uses a private Redis Cluster on
 * 7121-7126 and sums over its masters). Numbers are per operation; docs/scaling.md uses them.
 */
import Redis, { Cluster } from 'ioredis';
import { MessageType } from '../src/protocol';
import { TestEnvironment } from '../test/helpers/environment';
import { Instance, startInstance } from '../test/helpers/instance';
import { PrivateRedis, PrivateTopology } from '../test/helpers/services';
import { WsTestClient, loggedIn, uniqueName } from '../test/helpers/ws-client';

type Stats = { commands: Map<string, number>; input: number; output: number; memory: number };

async function snapshot(nodes: Redis[]): Promise<Stats> {
  const commands = new Map<string, number>();
  let input = 0;
  let output = 0;
  let memory = 0;
  for (const node of nodes) {
    const info = await node.info('all');
    for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
      commands.set(match[1], (commands.get(match[1]) ?? 0) + Number(match[2]));
    input += Number(/^total_net_input_bytes:(\d+)/m.exec(info)![1]);
    output += Number(/^total_net_output_bytes:(\d+)/m.exec(info)![1]);
    memory += Number(/^used_memory:(\d+)/m.exec(info)![1]);
  }
  return { commands, input, output, memory };
}

async function measure(nodes: Redis[], what: string, count: number, run: () => Promise<void>): Promise<void> {
  const before = await snapshot(nodes);
  await run();
  const after = await snapshot(nodes);
  const perOp: string[] = [];
  let total = 0;
  for (const [name, calls] of after.commands) {
    if (name === 'info') continue;
    const delta = calls - (before.commands.get(name) ?? 0);
    if (delta <= 0) continue;
    total += delta;
    perOp.push(`${name} ${(delta / count).toFixed(2)}`);
  }
  const line = [
    what.padEnd(34),
    `commands ${(total / count).toFixed(2)}`.padEnd(16),
    `in ${Math.round((after.input - before.input) / count)} B`.padEnd(12),
    `out ${Math.round((after.output - before.output) / count)} B`.padEnd(13),
    `memory ${Math.round((after.memory - before.memory) / count)} B`.padEnd(16),
    perOp.sort().join(', '),
  ];
  console.log(line.join(' '));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const topologyName = process.argv[2] === 'cluster' ? 'cluster' : 'single';
  const env = await new TestEnvironment('cluster', 'single').setup();
  let redis: PrivateRedis | undefined;
  let topology: PrivateTopology | undefined;
  let redisSettings: Record<string, string>;
  let nodes: Redis[];
  let cluster: Cluster | undefined;
  if (topologyName === 'cluster') {
    topology = PrivateTopology.cluster(7121);
    redisSettings = topology.env;
    cluster = new Cluster([{ host: '127.0.0.1', port: 7121 }]);
    await cluster.ping();
    nodes = cluster.nodes('master');
  } else {
    redis = await PrivateRedis.start();
    redisSettings = { REDIS_URL: redis.url };
    nodes = [new Redis(redis.url)];
  }
  const quiet = {
    ...redisSettings,
    HEARTBEAT_MS: '600000',
    INSTANCE_TTL_MS: '1200000',
    REBALANCE_DELAY_MS: '6000000',
    REBALANCE_INTERVAL_MS: '6000000',
    RATE_LIMIT_PER_SEC: '100000',
    RATE_LIMIT_BURST: '100000',
    // Every message looks its recipients up: the cost of a location cache miss (docs/scaling.md).
    LOCATION_CACHE_MS: '0',
  };
  const instances: Instance[] = [];
  const clients: WsTestClient[] = [];
  try {
    const [a, b] = await Promise.all([startInstance(env.instanceEnv(quiet)), startInstance(env.instanceEnv(quiet))]);
    instances.push(a, b);
    const USERS = 40;
    const names = Array.from({ length: USERS }, () => uniqueName('cost'));
    for (const name of names) {
      const setup = await WsTestClient.connect(a.wsUrl);
      await setup.register(name, 'secret-pass');
      setup.close();
    }
    await measure(nodes, 'login (password, bind a session)', USERS, async () => {
      for (let i = 0; i < USERS; i++) clients.push(await loggedIn((i % 2 === 0 ? a : b).wsUrl, names[i], 'secret-pass', false));
      await sleep(300);
    });
    const [alice, bob] = [clients[0], clients[1]];
    const MESSAGES = 200;
    await measure(nodes, '1:1 message to another instance', MESSAGES, async () => {
      for (let i = 0; i < MESSAGES; i++) await alice.request({ messageType: MessageType.ChatRequest, to: names[1], content: `m${i}` });
      await bob
        .collect(
          (f) => f.messageType === MessageType.ChatResponse || (f.messageType === MessageType.ChatRequest && typeof f.content === 'string'),
          MESSAGES,
          20000,
        )
        .catch(() => undefined);
      await sleep(300);
    });
    await measure(nodes, '1:1 message, same instance', MESSAGES, async () => {
      for (let i = 0; i < MESSAGES; i++) await alice.request({ messageType: MessageType.ChatRequest, to: names[2], content: `s${i}` });
      await sleep(300);
    });
    const group = uniqueName('g');
    const created = await alice.request({ messageType: MessageType.GroupCreateRequest, groupName: group, members: names.slice(1, 10) });
    if (created.success !== true) throw new Error(`group: ${String(created.reason)}`);
    await sleep(500);
    await measure(nodes, 'group message, 10 members, 2 inst.', MESSAGES, async () => {
      for (let i = 0; i < MESSAGES; i++)
        await alice.request({ messageType: MessageType.GroupChatRequest, groupName: group, content: `g${i}` });
      await sleep(300);
    });
    await measure(nodes, 'logout (close, unbind)', USERS, async () => {
      for (const client of clients.splice(0)) client.close();
      await sleep(1000);
    });
    await Promise.all(instances.splice(0).map((i) => i.stop()));

    // Heartbeats: two idle instances beating every 200 ms (each beat also runs a janitor pass).
    const beating = { ...quiet, HEARTBEAT_MS: '200', INSTANCE_TTL_MS: '5000' };
    const [c, d] = await Promise.all([startInstance(env.instanceEnv(beating)), startInstance(env.instanceEnv(beating))]);
    instances.push(c, d);
    await sleep(1000);
    await measure(nodes, 'heartbeat tick (+ janitor pass)', (2 * 10000) / 200, () => sleep(10000));
  } finally {
    for (const client of clients) client.close();
    await Promise.all(instances.map((i) => i.kill()));
    for (const node of topologyName === 'single' ? nodes : []) node.disconnect();
    cluster?.disconnect();
    await redis?.kill();
    topology?.stop();
    await env.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
