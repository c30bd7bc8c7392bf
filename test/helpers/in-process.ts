import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { ClusterService } from '../../src/cluster/cluster.service';
import { RebalanceService } from '../../src/cluster/rebalance.service';
import { StatsService } from '../../src/cluster/stats.service';
import { loadConfig } from '../../src/config/app-config';
import { registerInstance } from './contract';
import { MODE } from './environment';
import { HttpOptions, HttpResult, Instance, httpRequest, startInstance } from './instance';

/**
 * The real application, built by `createApp` inside the test's own process, for the suites that
 * test what it answers over HTTP and WebSocket rather than how its process starts and stops. It
 * listens on a port the system picks (HTTP and WebSocket on it, as a server's), joins its cluster
 * as main.ts does, and has the `Instance` interface those suites use: host, wsUrl, http and stop.
 */
export class InProcessApp {
  private stopped?: Promise<void>;

  constructor(
    readonly app: NestFastifyApplication,
    readonly port: number,
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  http<T = unknown>(method: string, path: string, options: HttpOptions = {}): Promise<HttpResult<T>> {
    return httpRequest<T>(this.port, method, path, options);
  }

  /** Closes the application as a SIGTERM does (it drains, leaves the cluster, closes the database); once. */
  stop(): Promise<void> {
    this.stopped ??= this.app.close();
    return this.stopped;
  }
}

/**
 * Builds and starts the application from `env` (a cluster-mode TestEnvironment's `instanceEnv()`:
 * the project's PostgreSQL and Redis). The configuration comes from src/config as the server's
 * does, from this object instead of process.env.
 *
 * Not in embedded mode: PGlite loads its WebAssembly with a dynamic import, which jest's sandbox
 * refuses without --experimental-vm-modules (and Nest would end the test process on that error).
 */
export async function startInProcess(env: Record<string, string>): Promise<InProcessApp> {
  const config = loadConfig({ TZ: 'UTC', ...env });
  if (config.mode !== 'cluster')
    throw new Error('An in-process application needs the cluster mode (PostgreSQL): PGlite does not load in jest');
  const app = await createApp(config);
  try {
    await app.listen(0, config.http.host);
    const address = app.getHttpServer().address();
    if (typeof address !== 'object' || !address) throw new Error('The application listens on no port');
    await app.get(ClusterService).announce(address.port);
    app.get(RebalanceService).start();
    app.get(StatsService).start();
    await registerInstance(address.port);
    return new InProcessApp(app, address.port);
  } catch (error) {
    await app.close();
    throw error;
  }
}

/** The application in this process in cluster mode; in embedded mode (PGlite) a server process. */
export function startService(env: Record<string, string>): Promise<InProcessApp | Instance> {
  return MODE === 'cluster' ? startInProcess(env) : startInstance(env);
}
