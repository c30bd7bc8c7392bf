import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, CLUSTER_TOKEN, TestEnvironment } from './helpers/environment';
import { Instance, startInstance } from './helpers/instance';

describe('.env', () => {
  const env = new TestEnvironment();
  let dir: string;
  let server: Instance | undefined;

  beforeAll(async () => {
    await env.setup();
    dir = mkdtempSync(join(tmpdir(), 'chat-dotenv-'));
  });

  afterAll(async () => {
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
    await env.dispose();
  });

  it('is loaded from the working directory at start, and what the environment sets wins', async () => {
    writeFileSync(
      join(dir, '.env'),
      `# as copied from .env.example\nADMIN_TOKEN=${ADMIN_TOKEN}\nCLUSTER_TOKEN=token-from-the-file-0123456789\n`,
    );
    const { ADMIN_TOKEN: _unused, ...withoutAdmin } = env.instanceEnv();
    // The admin token comes from the file alone: the start waits for an admin route to answer with it.
    server = await startInstance(withoutAdmin, 60000, { cwd: dir });
    expect((await server.http('GET', '/cluster/instances', { auth: 'admin' })).status).toBe(200);
    // The cluster token is in both: the environment's is the one.
    const rebalance = (token: string) => server!.http('POST', '/reBalance/handler', { auth: { header: 'x-cluster-token', value: token } });
    expect((await rebalance(CLUSTER_TOKEN)).status).toBe(400);
    expect((await rebalance('token-from-the-file-0123456789')).status).toBe(401);
  });
});
