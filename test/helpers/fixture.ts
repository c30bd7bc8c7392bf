import { RedisTopologyName, TestEnvironment, TestMode } from './environment';
import { Instance, aliveOrRestarted, startInstance } from './instance';
import { SdkFleet } from './sdk-fleet';
import { until } from './wait';
import { WsTestClient, loggedIn, uniqueName } from './ws-client';

/** What the fixture closes when the suite ends: our WebSocket clients, the SDK's, a browser. */
export interface Closable {
  close(): unknown;
}

export interface FixtureOptions {
  mode?: TestMode;
  topology?: RedisTopologyName;
  /** Settings every instance of the suite starts with, under the ones a `start` call gives. */
  settings?: Record<string, string>;
  /** How long the suite's `beforeAll` may take (default 120 s). */
  setupTimeoutMs?: number;
  /** Close the clients after each test (`closeClients`), not only when the suite ends. */
  closeClientsAfterEach?: boolean;
}

type Listed = { id: string; host: string; port: number; connections: number; draining?: boolean }[];

/**
 * One suite's world and what it started in it: the environment (database, Redis prefix or data
 * folders), the instances and the clients. Everything started through it is stopped, closed and
 * dropped by `dispose`, in that order, whatever a test left behind.
 *
 * `useFixture()` makes one and registers its `beforeAll` and `afterAll`; `new TestFixture()` is for
 * a suite that needs its own order.
 */
export class TestFixture {
  readonly env: TestEnvironment;
  readonly instances: Instance[] = [];
  private readonly closables: Closable[] = [];

  constructor(private readonly options: FixtureOptions = {}) {
    this.env = new TestEnvironment(options.mode, options.topology);
  }

  get mode(): TestMode {
    return this.env.mode;
  }

  async setup(): Promise<this> {
    await this.env.setup();
    return this;
  }

  /** The environment of one more instance: the suite's settings, then `settings`. */
  instanceEnv(settings: Record<string, string> = {}): Record<string, string> {
    return this.env.instanceEnv({ ...this.options.settings, ...settings });
  }

  /** Starts an instance in this world; it is killed by `dispose` if a test has not stopped it. */
  async start(settings: Record<string, string> = {}, timeoutMs?: number): Promise<Instance> {
    return this.adopt(await startInstance(this.instanceEnv(settings), timeoutMs));
  }

  /** Starts `count` instances at once. */
  startMany(count: number, settings: Record<string, string> = {}): Promise<Instance[]> {
    return Promise.all(Array.from({ length: count }, () => this.start(settings)));
  }

  /**
   * `instance` while it answers /health; once it has died, a new one started with `settings`. A suite
   * calls it before each test, so that a test that killed its server fails alone.
   */
  async alive(instance: Instance, settings: Record<string, string> = {}): Promise<Instance> {
    const answer = await aliveOrRestarted(instance, () => this.instanceEnv(settings));
    return answer === instance ? instance : this.adopt(answer);
  }

  /** Stops (SIGTERM) the instances started so far and forgets them: for suites whose tests each start their own. */
  async stopAll(): Promise<void> {
    await Promise.all(this.instances.splice(0).map((instance) => instance.stop()));
  }

  /** An instance started some other way (another environment, a restart), stopped with the rest. */
  adopt(instance: Instance): Instance {
    this.instances.push(instance);
    return instance;
  }

  /** Closes `client` when the suite ends. */
  track<T extends Closable>(client: T): T {
    this.closables.push(client);
    return client;
  }

  /** A new WebSocket connection to `instance`, not logged in; `query` is appended to its URL. */
  async connect(instance: Instance, query = ''): Promise<WsTestClient> {
    return this.track(await WsTestClient.connect(instance.wsUrl + query));
  }

  /** A new user, registered and logged in on `instance`. */
  async user(instance: Instance, prefix = 'u', password = 'secret-pass'): Promise<{ name: string; client: WsTestClient }> {
    const name = uniqueName(prefix);
    return { name, client: this.track(await loggedIn(instance.wsUrl, name, password)) };
  }

  /** A new user, registered on a connection of its own that is closed again: the user is not online. */
  async registered(instance: Instance, prefix = 'u', password = 'secret-pass'): Promise<string> {
    const name = uniqueName(prefix);
    const client = await WsTestClient.connect(instance.wsUrl);
    try {
      const response = await client.register(name, password);
      if (response.success !== true) throw new Error(`register ${name}: ${String(response.reason)}`);
    } finally {
      client.close();
    }
    return name;
  }

  /** `registered` for each prefix, one after the other. */
  async registeredMany(instance: Instance, ...prefixes: string[]): Promise<string[]> {
    const names: string[] = [];
    for (const prefix of prefixes) names.push(await this.registered(instance, prefix));
    return names;
  }

  /** A new connection to `instance`, logged in as the existing user `name`. */
  async session(instance: Instance, name: string, password = 'secret-pass'): Promise<WsTestClient> {
    return this.track(await loggedIn(instance.wsUrl, name, password, false));
  }

  /** A fleet of SDK clients (`resolveUrl` as in SdkFleet), stopped sending and closed when the suite ends. */
  fleet(resolveUrl: ConstructorParameters<typeof SdkFleet>[0]): SdkFleet {
    const fleet = new SdkFleet(resolveUrl);
    this.track({
      close: async () => {
        await fleet.stopSending();
        fleet.close();
      },
    });
    return fleet;
  }

  /** `GET /cluster/instances` of `instance`, until `accept` takes it (default: every running instance listed). */
  async listed(instance: Instance, accept?: (list: Listed) => boolean, timeoutMs = 10000): Promise<Listed> {
    const running = () => this.instances.filter((i) => i.running).map((i) => i.port);
    const everyone = (list: Listed) => running().every((port) => list.some((entry) => entry.port === port));
    return until(
      async () => (await instance.http<Listed>('GET', '/cluster/instances', { auth: 'admin' })).body.data ?? [],
      accept ?? everyone,
      timeoutMs,
      'the instance list',
    );
  }

  /** Closes the clients started so far and waits, at most `timeoutMs`, until they are closed. */
  async closeClients(timeoutMs = 3000): Promise<void> {
    const closing = this.closables.splice(0);
    for (const client of closing) {
      try {
        client.close();
      } catch {
        // Already closed.
      }
    }
    const closed = closing.map((client) => (client as Partial<Pick<WsTestClient, 'closed'>>).closed);
    // The timer is cleared once they are closed: left pending, it kept jest's worker alive after the last suite.
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(closed), waited]).finally(() => clearTimeout(timer));
  }

  /** Closes the clients, kills the instances still running and drops the world. */
  async dispose(): Promise<void> {
    for (const client of this.closables.splice(0)) {
      try {
        await client.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all(this.instances.splice(0).map((instance) => (instance.running ? instance.kill() : undefined)));
    await this.env.dispose();
  }
}

/** A fixture for the enclosing `describe`: set up in its `beforeAll`, disposed in its `afterAll`. */
export function useFixture(options: FixtureOptions = {}): TestFixture {
  const fixture = new TestFixture(options);
  beforeAll(() => fixture.setup(), options.setupTimeoutMs ?? 120000);
  if (options.closeClientsAfterEach) afterEach(() => fixture.closeClients());
  afterAll(() => fixture.dispose(), 60000);
  return fixture;
}
