import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { checkResponse, registerInstance, uncheckedFetch } from './contract';
import { ADMIN_TOKEN, CLUSTER_TOKEN } from './environment';

/** `TEST_SERVER_MAIN` runs the suites against another build (an older one, to see a test fail before its fix). */
const MAIN = process.env.TEST_SERVER_MAIN ?? join(__dirname, '..', '..', 'dist', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpResult<T = unknown> {
  status: number;
  body: Envelope<T>;
  text: string;
  headers: Headers;
}

export interface Envelope<T = unknown> {
  code: number;
  data: T;
  msg: string;
  path: string;
  extra: unknown;
  timestamp: number;
  isSuccess: boolean;
  isError: boolean;
}

export type Auth = 'admin' | 'cluster' | 'none' | { header: string; value: string };

/** One server process started from dist/main.js, as an operator would run it. */
export class Instance {
  private output = '';
  private exited: Promise<number | null>;

  constructor(
    readonly port: number,
    readonly process: ChildProcess,
  ) {
    process.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    process.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  http<T = unknown>(method: string, path: string, options: HttpOptions = {}): Promise<HttpResult<T>> {
    return httpRequest<T>(this.port, method, path, options);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.running) this.process.kill(signal);
    return this.exited;
  }

  /** A graceful stop (SIGTERM), waiting for the process to exit. */
  async stop(timeoutMs = 30000): Promise<number | null> {
    if (!this.running) return this.process.exitCode;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  waitForExit(): Promise<number | null> {
    return this.exited;
  }
}

export interface HttpOptions {
  body?: unknown;
  rawBody?: string;
  auth?: Auth;
  contentType?: string;
}

/** One HTTP request to the server on `port`, its answer checked against the server's /v2/api-docs. */
export async function httpRequest<T = unknown>(
  port: number,
  method: string,
  path: string,
  options: HttpOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = {};
  const auth = options.auth ?? 'none';
  if (auth === 'admin') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  else if (auth === 'cluster') headers['x-cluster-token'] = CLUSTER_TOKEN;
  else if (auth !== 'none') headers[auth.header] = auth.value;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await uncheckedFetch(`http://127.0.0.1:${port}${path}`, { method, headers, body });
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  await checkResponse(port, { method, url: path, status: response.status, contentType, text });
  let parsed: Envelope<T>;
  try {
    parsed = JSON.parse(text) as Envelope<T>;
  } catch {
    parsed = undefined as unknown as Envelope<T>;
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/**
 * Starts `node dist/main.js` with this environment on a free port, once it answers /health;
 * `cwd`: the working directory (where the server looks for `.env`).
 */
export async function startInstance(env: Record<string, string>, timeoutMs = 60000, options: { cwd?: string } = {}): Promise<Instance> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const instance = new Instance(port, child);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!instance.running) throw new Error(`Instance exited during start:\n${instance.logs}`);
    try {
      const health = await instance.http('GET', '/health');
      if (health.status === 200) {
        const instances = await instance.http<{ port: number }[]>('GET', '/cluster/instances', { auth: 'admin' });
        if (instances.status === 200 && instances.body.data.some((i) => i.port === port)) {
          await registerInstance(port);
          return instance;
        }
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await instance.kill();
  throw new Error(`Instance did not become ready in ${timeoutMs} ms:\n${instance.logs}`);
}

/** The same instance while it answers /health; a new one, started from `env`, once it has died. */
export async function aliveOrRestarted(instance: Instance, env: () => Record<string, string>): Promise<Instance> {
  const healthy =
    instance.running &&
    (await instance.http('GET', '/health').then(
      (r) => r.status === 200,
      () => false,
    ));
  if (healthy) return instance;
  await instance.kill();
  return startInstance(env());
}
