import type { ClusterStats as Stats, StatsReading as Sample } from '../src/cluster/stats-types';
import { MessageType } from '../src/protocol';
import { MODE, TestEnvironment } from './helpers/environment';
import { startService } from './helpers/in-process';
import { until } from './helpers/wait';
import { WsTestClient, loggedIn, uniqueName } from './helpers/ws-client';

/**
 * GET /cluster/stats of one instance (embedded: the samples kept in memory; cluster: in Redis as
 * well). The suite tests the answers, not the process: in cluster mode the application is built in
 * this process (helpers/in-process.ts).
 */
describe(`GET /cluster/stats, one instance (${MODE})`, () => {
  const env = new TestEnvironment();
  let server: Awaited<ReturnType<typeof startService>>;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    await env.setup();
    server = await startService(env.instanceEnv({ STATS_SAMPLE_MS: '200' }));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.stop();
    await env.dispose();
  });

  it('samples the instance every STATS_SAMPLE_MS with its connections and what it counted', async () => {
    const [ann, ben] = [uniqueName('ann'), uniqueName('ben')];
    clients.push(await loggedIn(server.wsUrl, ann), await loggedIn(server.wsUrl, ben));
    const guess = await WsTestClient.connect(server.wsUrl);
    expect((await guess.login(ben, 'not-the-password')).success).toBe(false);
    guess.close();
    for (let i = 0; i < 3; i++)
      expect((await clients[0].request({ messageType: MessageType.ChatRequest, to: ben, content: `m${i}` })).success).toBe(true);

    const sum = (samples: Sample[], field: keyof Sample) => samples.reduce((total, sample) => total + sample[field], 0);
    const counted = async () => {
      const samples = (await server.http<Stats>('GET', '/cluster/stats', { auth: 'admin' })).body.data.instances[0].samples;
      const [messages, logins, refusals] = (['messages', 'logins', 'refusals'] as const).map((field) => sum(samples, field));
      return { connections: samples.at(-1)?.connections, messages, logins, refusals };
    };
    const traffic = { connections: 2, messages: 3, logins: 2, refusals: 1 };
    await until(counted, (c) => JSON.stringify(c) === JSON.stringify(traffic), 10000, 'the traffic sampled');

    const response = await server.http<Stats>('GET', '/cluster/stats', { auth: 'admin' });
    expect(response.status).toBe(200);
    const { now, sampleMs, windowMs, instances, moves } = response.body.data;
    expect({ sampleMs, windowMs, moves }).toEqual({ sampleMs: 200, windowMs: 15 * 60_000, moves: [] });
    expect(Math.abs(now - Date.now())).toBeLessThan(5000);
    expect(instances.map(({ host, url }) => ({ host, url }))).toEqual([{ host: server.host, url: server.wsUrl }]);
    const gaps = instances[0].samples.slice(1).map((sample, i) => sample.at - instances[0].samples[i].at);
    // One sample every 200 ms, oldest first (a timer may run a little late on a busy machine).
    expect(gaps.every((gap) => gap >= 150 && gap < 1000)).toBe(true);
  });

  it('documents the route with its types: integers as integers', async () => {
    const document = (await (await fetch(`http://127.0.0.1:${server.port}/v2/api-docs`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { schemas: Record<string, { properties: Record<string, { type?: string; format?: string }> }> };
    };
    expect(document.paths['/cluster/stats'].get.security).toEqual([{ admin: [] }]);
    const sample = document.components.schemas.StatsSampleDto.properties;
    expect(sample.at).toEqual(expect.objectContaining({ type: 'integer', format: 'int64' }));
    for (const field of ['connections', 'messages', 'logins', 'refusals', 'moves']) expect(sample[field].type).toBe('integer');
    const fields = Object.keys(document.components.schemas.ClusterStatsDto.properties).sort();
    expect(fields).toEqual(['instances', 'moves', 'now', 'sampleMs', 'windowMs']);
  });
});
