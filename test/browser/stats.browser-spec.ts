import { MessageType } from '../../src/protocol';
import { Instance } from '../helpers/instance';
import { until } from '../helpers/wait';
import { WsTestClient, loggedIn, uniqueName } from '../helpers/ws-client';
import { screenshot } from './helpers/browser';
import { useBrowserFixture } from './helpers/browser-fixture';
import { AdminPage } from './helpers/pages';

/**
 * The admin console's traffic charts against two cluster instances sampling every 500 ms: the
 * console is open while protocol clients log in, fail to, send and are moved, and the charts
 * follow without a reload.
 */
describe('admin console traffic charts, two cluster instances', () => {
  // No automatic rebalance; "Rebalance now" acts on a handful of connections; a moved client that stays is closed after 1 s.
  const fixture = useBrowserFixture({
    mode: 'cluster',
    settings: {
      STATS_SAMPLE_MS: '500',
      REBALANCE_MIN_USERS: '1',
      REBALANCE_DELAY_MS: '3600000',
      REBALANCE_INTERVAL_MS: '3600000',
      REBALANCE_GRACE_MS: '1000',
    },
  });
  let first: Instance;
  let second: Instance;
  let admin: AdminPage;
  /** Instance ids by host: the charts' lines are keyed by id. */
  const ids = new Map<string, string>();

  beforeAll(async () => {
    first = await fixture.start();
    [second] = await Promise.all([fixture.start(), fixture.launch()]);
    for (const instance of await fixture.listed(first)) ids.set(instance.host, instance.id);
    admin = new AdminPage(await (await fixture.person()).page(`http://127.0.0.1:${first.port}/admin`));
    await admin.signIn();
  }, 120000);

  it('draws a line per instance in each chart, accessible, with the latest values as text', async () => {
    await admin.legend('messages', ids.get(first.host)!).waitFor();
    for (const chart of ['messages', 'connections', 'moves'] as const) {
      expect(await admin.page.locator(`[data-testid="chart-${chart}"] [data-testid="chart-line"]`).count()).toBe(2);
      for (const host of [first.host, second.host]) expect(await admin.legend(chart, ids.get(host)!).textContent()).toContain(host);
    }
    const image = admin.page.locator('[data-testid="chart-connections"] svg');
    expect(await image.getAttribute('role')).toBe('img');
    expect(await image.locator('title').textContent()).toBe('Connections');
    // A line is drawn as soon as an instance is listed; its first sample may arrive a moment later (the second instance started last).
    const described = `Connections, last 15 minutes. Latest: ${first.host} 0; ${second.host} 0.`;
    expect(
      await until(
        () => image.locator('desc').textContent(),
        (text) => text === described,
        10000,
        'both instances sampled',
      ),
    ).toBe(described);
    expect(await admin.byTestId('moves').textContent()).toBe('No moves in the last 15 minutes');
  });

  it('follows real traffic: messages and connections per instance, logins and refusals', async () => {
    const [ann, cat, dan, ben] = [uniqueName('ann'), uniqueName('cat'), uniqueName('dan'), uniqueName('ben')];
    const clients: WsTestClient[] = [];
    for (const name of [ann, cat, dan]) clients.push(fixture.track(await loggedIn(first.wsUrl, name)));
    const benClient = fixture.track(await loggedIn(second.wsUrl, ben));
    const guess = await fixture.connect(first);
    expect((await guess.login(ann, 'not-the-password')).success).toBe(false);
    guess.close();
    expect((await benClient.request({ messageType: MessageType.ChatRequest, to: uniqueName('nobody'), content: 'anyone?' })).success).toBe(
      false,
    );
    for (let i = 0; i < 4; i++)
      expect((await clients[0].request({ messageType: MessageType.ChatRequest, to: ben, content: `a${i}` })).success).toBe(true);
    for (let i = 0; i < 2; i++)
      expect((await benClient.request({ messageType: MessageType.ChatRequest, to: ann, content: `b${i}` })).success).toBe(true);

    await admin.waitForLegend('messages', ids.get(first.host)!, 'total', 4);
    await admin.waitForLegend('messages', ids.get(second.host)!, 'total', 2);
    await admin.waitForLegend('connections', ids.get(first.host)!, 'latest', 3);
    await admin.waitForLegend('connections', ids.get(second.host)!, 'latest', 1);
    await admin.waitForLegend('logins', 'logins', 'total', 4);
    await admin.waitForLegend('logins', 'refusals', 'total', 2);
    expect(await admin.legend('connections', ids.get(first.host)!).getByTestId('legend-latest').textContent()).toBe('3');
    // A line, not a dot: the instance has sampled for a while.
    for (const host of [first.host, second.host]) expect(await admin.linePath('connections', ids.get(host)!)).toMatch(/^M[\d.]+ [\d.]+ L/);
    await until(
      async () => admin.page.locator('[data-testid="chart-connections"] desc').textContent(),
      (text) => text === `Connections, last 15 minutes. Latest: ${first.host} 3; ${second.host} 1.`,
      10000,
      'the description of the connections chart',
    );
  });

  it('shows the moves of a forced rebalance as they happen', async () => {
    // The coordinator plans from the registry, which hears each instance's count on its heartbeat (every 2 s),
    // later than the charts sample it: wait until the registry holds 3 and 1, or the plan may be empty.
    await fixture.listed(first, (listed) =>
      [first, second].every((one, i) => listed.find((entry) => entry.host === one.host)?.connections === [3, 1][i]),
    );
    await admin.byTestId('rebalance-button').click();
    await admin.page.locator('[data-testid="rebalance-move"]', { hasText: `${first.host} → ${second.host}: 1 connection` }).waitFor();
    const listed = admin.page.locator('[data-testid="stats-move"]', { hasText: `${first.host} → ${second.host}, 1, ` });
    await listed.waitFor();
    expect(await admin.byTestId('stats-move').count()).toBe(1);
    await admin.waitForLegend('moves', ids.get(first.host)!, 'total', 1);
    await admin.waitForLegend('moves', ids.get(second.host)!, 'total', 0);
    // The moved client does not follow: closed after the grace period, it leaves 2 on the first instance.
    await admin.waitForLegend('connections', ids.get(first.host)!, 'latest', 2);
    await admin.waitForLegend('connections', ids.get(second.host)!, 'latest', 1);
    await screenshot(admin.page, 'admin-traffic-charts');
  });
});
