import { useFixture } from './helpers/fixture';

/** What an operator sees at start: a word before the embedded database is first created, no route-mapping flood. */
describe('start-up output', () => {
  const fixture = useFixture();

  it('says the embedded database is being created before it is, maps routes quietly, and ends with the URLs to open', async () => {
    // A fresh DATA_DIR (embedded mode) or a fresh database (cluster mode), logged at the default level.
    const server = await fixture.start({ LOG_LEVEL: 'info' });
    const messages = server.logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { context?: string; msg: string });
    const index = (pattern: RegExp) => messages.findIndex((entry) => pattern.test(entry.msg));
    const creating = index(/^Creating the embedded database in .+ \(first start, about 20 s\)/);
    if (fixture.mode === 'embedded') {
      expect(creating).toBeGreaterThanOrEqual(0);
      expect(creating).toBeLessThan(index(/^Using embedded PGlite in /));
    } else {
      expect(creating).toBe(-1);
      expect(index(/^Using PostgreSQL$/)).toBeGreaterThanOrEqual(0);
    }
    expect(messages.filter((entry) => entry.context === 'RoutesResolver' || entry.context === 'RouterExplorer')).toEqual([]);
    expect(index(/^Nest application successfully started$/)).toBeGreaterThanOrEqual(0);
    const http = `http://127.0.0.1:${server.port}`;
    expect(messages.filter((entry) => entry.context === 'Bootstrap').map((entry) => entry.msg)).toEqual([
      `Listening on 127.0.0.1:${server.port}: chat page ${http}/, admin console ${http}/admin, Swagger UI ${http}/swagger-ui, ` +
        `WebSocket ws://127.0.0.1:${server.port}/ws, health ${http}/health`,
    ]);
  });
});
