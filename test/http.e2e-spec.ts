import { MODE, TestEnvironment } from './helpers/environment';
import { Instance, startInstance } from './helpers/instance';

/** The HTTP surface of one instance: the envelope on every path, access, docs, health, metrics. */
describe(`HTTP foundation (${MODE})`, () => {
  const env = new TestEnvironment();
  let server: Instance;

  beforeAll(async () => {
    await env.setup();
    server = await startInstance(env.instanceEnv());
  });

  afterAll(async () => {
    await server?.stop();
    await env.dispose();
  });

  function expectEnvelope(body: Record<string, unknown>, code: number, path: string): void {
    expect(Object.keys(body).sort()).toEqual(['code', 'data', 'extra', 'isError', 'isSuccess', 'msg', 'path', 'timestamp']);
    expect(body.code).toBe(code);
    expect(body.path).toBe(path);
    expect(body.isSuccess).toBe(code === 0 || code === 200);
    expect(body.isError).toBe(!(code === 0 || code === 200));
    expect(typeof body.timestamp).toBe('number');
    expect(Math.abs(Date.now() - (body.timestamp as number))).toBeLessThan(60000);
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.js:\d+/);
  }

  it('GET /port answers the port the instance listens on', async () => {
    const response = await server.http<number>('GET', '/port');
    expect(response.status).toBe(200);
    expectEnvelope(response.body as never, 0, '/port');
    expect(response.body.data).toBe(server.port);
  });

  it('GET /getOnlineUserCount is 0 with nobody logged in', async () => {
    const response = await server.http<number>('GET', '/getOnlineUserCount');
    expectEnvelope(response.body as never, 0, '/getOnlineUserCount');
    expect(response.body.data).toBe(0);
  });

  it('GET /serverAddress names a live instance', async () => {
    const response = await server.http<{ ip: string; port: number; url: string }>('GET', '/serverAddress');
    // Without PUBLIC_URL, the URL is built from PUBLIC_HOST and the port the server got.
    expect(response.body.data).toEqual({ ip: '127.0.0.1', port: server.port, url: server.wsUrl });
  });

  it('GET /health reports the database, the registry and the heartbeats up, not draining', async () => {
    const response = await server.http<{ database: string; registry: string; mode: string }>('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ database: 'up', registry: 'up', heartbeat: 'up', draining: false, mode: MODE });
  });

  it('an unknown route is 404 in the envelope, with the path but not the query', async () => {
    const response = await server.http('GET', '/no/such/route?x=1');
    expect(response.status).toBe(404);
    expectEnvelope(response.body as never, 404, '/no/such/route');
  });

  it('a known path with the wrong method is 404', async () => {
    const response = await server.http('DELETE', '/port');
    expect(response.status).toBe(404);
    expectEnvelope(response.body as never, 404, '/port');
  });

  it('admin routes refuse a missing or wrong token with 401 and the cluster token with 403', async () => {
    const none = await server.http('GET', '/cluster/instances');
    expect(none.status).toBe(401);
    expectEnvelope(none.body as never, 401, '/cluster/instances');
    const wrong = await server.http('GET', '/cluster/instances', { auth: { header: 'authorization', value: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const cluster = await server.http('GET', '/cluster/instances', { auth: 'cluster' });
    expect(cluster.status).toBe(403);
    expectEnvelope(cluster.body as never, 403, '/cluster/instances');
  });

  it('GET /cluster/instances lists this instance with the admin token', async () => {
    const response = await server.http<{ id: string; host: string; ip: string; port: number; users: number; connections: number; startedAt: string }[]>(
      'GET',
      '/cluster/instances',
      { auth: 'admin' },
    );
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(1);
    const [self] = response.body.data;
    expect(self.host).toBe(`127.0.0.1:${server.port}`);
    expect(self.port).toBe(server.port);
    expect(self.connections).toBe(0);
    expect(Number.isNaN(Date.parse(self.startedAt))).toBe(false);
  });

  it('cluster routes take the cluster token or the admin bearer, and refuse others with 401', async () => {
    const body = { from: 'nobody-here', to: 'nobody-there', content: 'hi' };
    expect((await server.http('POST', '/send', { body })).status).toBe(401);
    expect((await server.http('POST', '/send', { body, auth: { header: 'x-cluster-token', value: 'wrong' } })).status).toBe(401);
    const cluster = await server.http('POST', '/send', { body, auth: 'cluster' });
    expect(cluster.status).toBe(200);
    expectEnvelope(cluster.body as never, -10, '/send');
    const admin = await server.http('POST', '/send', { body, auth: 'admin' });
    expect(admin.body.code).toBe(-10);
  });

  it('a body that is not JSON is 400 with code -9', async () => {
    const response = await server.http('POST', '/send', { rawBody: '{"from": ', auth: 'cluster' });
    expect(response.status).toBe(400);
    expectEnvelope(response.body as never, -9, '/send');
  });

  it('a failed validation is 400 with code -9 naming the field', async () => {
    const missing = await server.http('POST', '/send', { body: { from: 'a', content: 'x' }, auth: 'cluster' });
    expect(missing.status).toBe(400);
    expectEnvelope(missing.body as never, -9, '/send');
    expect(missing.body.msg).toMatch(/^to/);
    const extra = await server.http('POST', '/send', { body: { from: 'a', to: 'b', content: 'x', admin: true }, auth: 'cluster' });
    expect(extra.status).toBe(400);
    expect(extra.body.msg).toMatch(/admin/);
  });

  it('an oversized body is 400 with code -9', async () => {
    const response = await server.http('POST', '/send', { rawBody: JSON.stringify({ content: 'x'.repeat(2 * 1024 * 1024) }), auth: 'cluster' });
    expect(response.status).toBe(400);
    expectEnvelope(response.body as never, -9, '/send');
  });

  it('serves the OpenAPI document at /v2/api-docs, also with ?group=, with the envelope typed per route', async () => {
    for (const path of ['/v2/api-docs', '/v2/api-docs?group=%E6%9C%8D%E5%8A%A1']) {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } };
      expect(document.openapi).toMatch(/^3\./);
      for (const route of ['/getOnlineUserCount', '/port', '/serverAddress', '/cluster/instances', '/health', '/send', '/user/page', '/user/{username}', '/user/setUserStatus/{username}/{status}']) {
        expect(Object.keys(document.paths)).toContain(route);
      }
      expect(document.components.schemas.R).toBeDefined();
      expect(JSON.stringify(document.paths['/port'].get.responses['200'])).toContain('#/components/schemas/R');
    }
  });

  it('serves the Swagger UI at /swagger-ui and /doc.html', async () => {
    for (const path of ['/swagger-ui', '/doc.html']) {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/swagger/i);
    }
  });

  it('GET /metrics is Prometheus text for the admin, and refused without the token', async () => {
    const refused = await server.http('GET', '/metrics');
    expect(refused.status).toBe(401);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${'test-admin-token-0123456789'}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('chat_process_cpu_user_seconds_total');
    expect(text).toContain('chat_http_request_duration_seconds_bucket');
    expect(text).toContain('chat_sessions');
  });
});
