import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Server, Socket, createServer, connect } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { TOPOLOGY_SCRIPT, ensureRedisTopology } from './environment';
import { freePort } from './instance';
import { until } from './wait';

/** A Redis server of the test's own, which it can kill and restart without touching the machine's. */
export class PrivateRedis {
  private process?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await until(
      () => this.ping(),
      (reply) => reply === 'PONG',
      10000,
      `redis on ${this.port}`,
    );
  }

  /** Kills it outright: whatever it held is gone, as after a crash without persistence. */
  async kill(): Promise<void> {
    const process = this.process;
    if (!process || process.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise((resolve) => process.once('exit', resolve));
    process.kill('SIGKILL');
    await exited;
  }

  private async ping(): Promise<string> {
    const probe = new Redis({ port: this.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return await probe.ping();
    } catch {
      return 'down';
    } finally {
      probe.disconnect();
    }
  }
}

/** A TCP proxy to a real service, which the test can cut (refusing and dropping connections) and restore. */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), targetHost, targetPort);
    await proxy.restore();
    return proxy;
  }

  restore(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => {
        const upstream = connect(this.targetPort, this.targetHost);
        for (const socket of [client, upstream]) {
          this.sockets.add(socket);
          socket.on('close', () => this.sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
      this.server = server;
    });
  }

  /** Drops every connection and refuses new ones until restored. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * A Redis topology of the test's own (scripts/redis-topologies.sh on ports no other suite uses),
 * whose nodes it can kill and restart: a failover test must not pull the shared one from under
 * the suites running beside it.
 */
export class PrivateTopology {
  private constructor(
    readonly kind: 'cluster' | 'sentinel',
    private readonly ports: number[],
  ) {}

  /** A 3-master Cluster with a replica each on BASE..BASE+5. */
  static cluster(base: number): PrivateTopology {
    const topology = new PrivateTopology('cluster', [base]);
    ensureRedisTopology('cluster', base);
    return topology;
  }

  /** A primary on BASE, its replica on BASE+1, sentinels on SBASE..SBASE+2. */
  static sentinel(base: number, sentinelBase: number): PrivateTopology {
    const topology = new PrivateTopology('sentinel', [base, sentinelBase]);
    ensureRedisTopology('sentinel', base, sentinelBase);
    return topology;
  }

  private get dir(): string {
    return join(process.env.REDIS_TOPOLOGY_DIR ?? '/tmp/chat-redis-topologies', `${this.kind}-${this.ports[0]}`);
  }

  /** What the instances need to use it. */
  get env(): Record<string, string> {
    const [base, sentinelBase] = this.ports;
    if (this.kind === 'cluster') return { REDIS_CLUSTER_NODES: [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(',') };
    return { REDIS_SENTINELS: [0, 1, 2].map((i) => `127.0.0.1:${sentinelBase + i}`).join(','), REDIS_SENTINEL_NAME: 'chat' };
  }

  /** SIGKILL to the Redis on `port`, as a crash. */
  kill(port: number): void {
    process.kill(Number(readFileSync(join(this.dir, `${port}.pid`), 'utf8').trim()), 'SIGKILL');
  }

  /** Starts a killed node again from its config: a Cluster node rejoins, Sentinel makes an old primary a replica. */
  restart(port: number): void {
    execFileSync('redis-server', [join(this.dir, `${port}.conf`)]);
  }

  stop(): void {
    execFileSync('bash', [TOPOLOGY_SCRIPT, 'stop', this.kind, ...this.ports.map(String)]);
  }
}
