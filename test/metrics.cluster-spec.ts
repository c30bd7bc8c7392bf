import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloseCode, MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { sleep, until } from './helpers/wait';
import { WsTestClient, uniqueName } from './helpers/ws-client';

/** A messageType that names no type of the protocol, reserved or not. */
const UNKNOWN_TYPE = 4242;

type Samples = Map<string, number>;

/** Every sample of one scrape, by its name with labels as written (`chat_logins_total{outcome="ok"}`). */
async function scrape(instance: Instance): Promise<Samples> {
  const response = await instance.http('GET', '/metrics', { auth: 'admin' });
  expect(response.status).toBe(200);
  const samples: Samples = new Map();
  for (const line of response.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The metric families of one scrape, from their `# TYPE` lines. */
async function families(instance: Instance): Promise<Map<string, string>> {
  const text = (await instance.http('GET', '/metrics', { auth: 'admin' })).text;
  return new Map(text.split('\n').flatMap((line) => (line.startsWith('# TYPE ') ? [line.split(' ').slice(2, 4) as [string, string]] : [])));
}

/** How far each sample moved between two scrapes (a sample missing before counts from 0). */
function moved(before: Samples, after: Samples, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, (after.get(key) ?? NaN) - (before.get(key) ?? 0)]));
}

/** Waits until every sample moved by what `expected` says; the failure shows the moves seen last. */
async function movesTo(instance: Instance, before: Samples, expected: Record<string, number>, timeoutMs = 5000): Promise<void> {
  const keys = Object.keys(expected);
  const probe = async () => moved(before, await scrape(instance), keys);
  await until(probe, (moves) => keys.every((key) => moves[key] === expected[key]), timeoutMs, 'the metrics moved');
}

/**
 * The metrics that an operator alerts on move by what real traffic caused: logins, refusals,
 * closes, deliveries on each path, rebalance moves and orders, the password hasher.
 */
describe('metrics under real traffic', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let a: Instance;
  let b: Instance;
  const settings = {
    HEARTBEAT_MS: '300',
    INSTANCE_TTL_MS: '1500',
    REBALANCE_DELAY_MS: '600000',
    REBALANCE_INTERVAL_MS: '600000',
    REBALANCE_GRACE_MS: '300',
    DRAIN_TIMEOUT_MS: '15000',
  };

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2, settings);
  });

  // A client sees its close before the server counts it: the next test starts once the server has.
  afterEach(async () => {
    await fixture.closeClients();
    for (const instance of [a, b]) {
      await until(
        async () => (await scrape(instance)).get('chat_ws_connections'),
        (open) => open === 0,
        5000,
        'every connection closed',
      );
    }
  });

  it('counts a good and a bad login by outcome, the refusals by request type, and the hasher work', async () => {
    const before = await scrape(a);
    const name = uniqueName('met');
    const client = await fixture.connect(a);
    expect(await client.register(name, 'secret-pass')).toMatchObject({ success: true });
    expect(await client.register(name, 'secret-pass')).toMatchObject({ success: false, reason: 'Username is already taken' });
    expect(await client.login(name, 'wrong-pass')).toMatchObject({ success: false, reason: 'Wrong password' });
    expect(await client.login(name, 'secret-pass')).toMatchObject({ success: true });
    expect(await client.request({ messageType: MessageType.GroupMembersRequest, groupName: '' })).toMatchObject({ success: false });
    expect(await client.request({ messageType: MessageType.Ack, messageIds: 'none' })).toMatchObject({
      messageType: MessageType.Error,
      success: false,
    });
    expect(await client.request({ messageType: UNKNOWN_TYPE })).toMatchObject({ messageType: MessageType.Error, success: false });
    const stranger = await fixture.connect(a);
    expect(await stranger.request({ messageType: MessageType.ChatRequest, to: name, content: 'hi' })).toMatchObject({
      success: false,
      reason: 'Please log in',
    });

    await movesTo(a, before, {
      'chat_logins_total{outcome="ok"}': 1,
      'chat_logins_total{outcome="bad_credentials"}': 1,
      'chat_logins_total{outcome="account_locked"}': 0,
      'chat_refusals_total{type="17"}': 1,
      'chat_refusals_total{type="19"}': 1,
      'chat_refusals_total{type="22"}': 1,
      'chat_refusals_total{type="1"}': 0,
      'chat_refusals_total{type="13"}': 1,
      'chat_refusals_total{type="5"}': 1,
      'chat_refusals_total{type="unknown"}': 1,
      // One hash (the register) and two verifications, none refused.
      chat_hasher_wait_seconds_count: 3,
      chat_hasher_busy_total: 0,
    });
    const after = await scrape(a);
    expect(after.get('chat_hasher_waiting')).toBe(0);
  });

  it('counts closes by code, from either side', async () => {
    const before = await scrape(a);
    const leaving = await WsTestClient.connect(a.wsUrl);
    leaving.close();
    const custom = await WsTestClient.connect(a.wsUrl);
    custom.socket.close(3999);
    const binary = await WsTestClient.connect(a.wsUrl);
    binary.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
    expect((await binary.closed).code).toBe(CloseCode.Unsupported);
    await Promise.all([leaving.closed, custom.closed]);
    await movesTo(a, before, {
      [`chat_ws_closes_total{code="${CloseCode.Normal}"}`]: 1,
      [`chat_ws_closes_total{code="${CloseCode.Unsupported}"}`]: 1,
      'chat_ws_closes_total{code="other"}': 1,
    });
  });

  it('counts deliveries by path: local, over the bus to another instance, and replayed at login', async () => {
    const [beforeA, beforeB] = await Promise.all([scrape(a), scrape(b)]);
    const { client: alice } = await fixture.user(a, 'alice');
    const { name: bobName, client: bob } = await fixture.user(a, 'bob');
    const { name: carolName, client: carol } = await fixture.user(b, 'carol');
    const daveName = await fixture.registered(a, 'dave');

    expect(await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'local' })).toMatchObject({
      success: true,
      delivered: true,
    });
    await bob.next((f) => f.content === 'local');
    expect(await alice.request({ messageType: MessageType.ChatRequest, to: carolName, content: 'remote' })).toMatchObject({
      success: true,
      delivered: true,
    });
    await carol.next((f) => f.content === 'remote');
    expect(await alice.request({ messageType: MessageType.ChatRequest, to: daveName, content: 'offline' })).toMatchObject({
      success: true,
      delivered: false,
    });
    const dave = await fixture.session(b, daveName);
    expect(await dave.next((f) => f.content === 'offline')).toMatchObject({ offline: true });

    const paths = ['local', 'remote', 'retry', 'offline'].map((path) => `chat_deliveries_total{path="${path}"}`);
    const [local, remote, retry, offline] = paths;
    await movesTo(a, beforeA, { [local]: 1, [remote]: 1, [retry]: 0, [offline]: 0, chat_bus_publish_failures_total: 0 });
    // B only handed the bus's copy to its socket: the delivery is A's; the replay at login is B's.
    await movesTo(b, beforeB, { [local]: 0, [remote]: 0, [retry]: 0, [offline]: 1 });
    for (const gauge of ['chat_delivery_retry_queue', 'chat_delivery_retries_total', 'chat_delivery_retry_dropped_total']) {
      expect((await scrape(a)).get(gauge)).toBe(0);
    }
  });

  it('counts a remote delivery that failed, its retries, and the retry that reached the recipient', async () => {
    const lost = await fixture.start(settings);
    const { name: carolName } = await fixture.user(lost, 'carol');
    const { client: alice } = await fixture.user(a, 'alice');
    const before = await scrape(a);
    // Killed: its sessions stay listed until the janitor purges them, and nobody reads its bus channel.
    await lost.kill();
    expect(await alice.request({ messageType: MessageType.ChatRequest, to: carolName, content: 'late' })).toMatchObject({
      success: true,
      delivered: false,
    });
    await movesTo(a, before, { chat_delivery_retry_queue: 1, chat_delivery_retries_total: 1, 'chat_deliveries_total{path="retry"}': 0 });
    const listed = async () => (await a.http<{ port: number }[]>('GET', '/cluster/instances', { auth: 'admin' })).body.data;
    await until(listed, (instances) => !instances.some((i) => i.port === lost.port), 5000, 'the killed instance unlisted');
    // Once purged, the next retry finds carol nowhere and queues again, until she is back on B.
    await sleep(1000);
    const carol = await fixture.session(b, carolName);
    await carol.next((f) => f.content === 'late');
    const delivered = { chat_delivery_retry_queue: 0, 'chat_deliveries_total{path="retry"}': 1, chat_delivery_retry_dropped_total: 0 };
    await movesTo(a, before, delivered, 20000);
  });

  it('counts a rebalance order and the move it sent, and the moves of a drain', async () => {
    const before = await scrape(a);
    const { client: moving } = await fixture.user(a, 'mover');
    const order = `/reBalance/handler?host=${encodeURIComponent(b.host)}&reBalanceNumber=5`;
    const accepted = await a.http<boolean>('POST', order, { auth: 'cluster' });
    expect(accepted.body).toMatchObject({ code: 0, data: true });
    expect(await moving.next((f) => f.messageType === MessageType.ReBalance)).toMatchObject({ host: b.host });
    expect((await moving.closed).code).toBe(CloseCode.Moved);
    await movesTo(a, before, {
      chat_rebalance_orders_total: 1,
      'chat_rebalance_moves_total{reason="rebalance"}': 1,
      'chat_rebalance_moves_total{reason="drain"}': 0,
      [`chat_ws_closes_total{code="${CloseCode.Moved}"}`]: 1,
    });

    // A draining instance still answers HTTP while its clients move: the moves show before it exits.
    const leaving = await fixture.start(settings);
    await fixture.user(leaving, 'drained');
    const beforeDrain = await scrape(leaving);
    leaving.process.kill('SIGTERM');
    await movesTo(leaving, beforeDrain, {
      'chat_rebalance_moves_total{reason="drain"}': 1,
      'chat_rebalance_moves_total{reason="rebalance"}': 0,
    });
  });

  describe('names and documentation', () => {
    /** prom-client's process metrics (collectDefaultMetrics): named in operations.md, not one by one in its table. */
    const PROCESS_METRICS = [
      'chat_process_cpu_user_seconds_total',
      'chat_process_cpu_system_seconds_total',
      'chat_process_cpu_seconds_total',
      'chat_process_start_time_seconds',
      'chat_process_resident_memory_bytes',
      'chat_process_virtual_memory_bytes',
      'chat_process_heap_bytes',
      'chat_process_open_fds',
      'chat_process_max_fds',
      'chat_nodejs_eventloop_lag_seconds',
      'chat_nodejs_eventloop_lag_min_seconds',
      'chat_nodejs_eventloop_lag_max_seconds',
      'chat_nodejs_eventloop_lag_mean_seconds',
      'chat_nodejs_eventloop_lag_stddev_seconds',
      'chat_nodejs_eventloop_lag_p50_seconds',
      'chat_nodejs_eventloop_lag_p90_seconds',
      'chat_nodejs_eventloop_lag_p99_seconds',
      'chat_nodejs_active_resources',
      'chat_nodejs_active_resources_total',
      'chat_nodejs_active_handles',
      'chat_nodejs_active_handles_total',
      'chat_nodejs_active_requests',
      'chat_nodejs_active_requests_total',
      'chat_nodejs_heap_size_total_bytes',
      'chat_nodejs_heap_size_used_bytes',
      'chat_nodejs_external_memory_bytes',
      'chat_nodejs_heap_space_size_total_bytes',
      'chat_nodejs_heap_space_size_used_bytes',
      'chat_nodejs_heap_space_size_available_bytes',
      'chat_nodejs_version_info',
      'chat_nodejs_gc_duration_seconds',
    ];
    const root = join(__dirname, '..');
    const operations = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');
    const dashboard = JSON.parse(readFileSync(join(root, 'deploy', 'grafana-dashboard.json'), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const expressions = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)).join('\n');
    /** The names in the first column of operations.md's metrics table. */
    const documented = new Set([...operations.matchAll(/^\| `(chat_[a-z_]+)`(?:\{[a-z_,]+\})? \|/gm)].map((match) => match[1]));
    let exported: Map<string, string>;

    beforeAll(async () => {
      exported = await families(a);
    });

    it('exports every metric under chat_', () => {
      expect(exported.size).toBeGreaterThan(40);
      expect([...exported.keys()].filter((name) => !name.startsWith('chat_'))).toEqual([]);
    });

    it('documents every metric it exports in operations.md, and the process metrics by name', () => {
      const own = [...exported.keys()].filter((name) => !PROCESS_METRICS.includes(name));
      expect(own.filter((name) => !documented.has(name))).toEqual([]);
      expect([...documented].filter((name) => !exported.has(name))).toEqual([]);
      expect([...exported.keys()].filter((name) => PROCESS_METRICS.includes(name) && !operations.includes(name))).toEqual([]);
    });

    it('shows every metric of its own on the Grafana dashboard', () => {
      const own = [...exported.keys()].filter((name) => !PROCESS_METRICS.includes(name));
      const shown = (name: string) => new RegExp(`\\b${name}(_bucket|_sum|_count)?\\b`).test(expressions);
      expect(own.filter((name) => !shown(name))).toEqual([]);
    });
  });
});
