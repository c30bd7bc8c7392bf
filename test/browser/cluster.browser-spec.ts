import { Instance } from '../helpers/instance';
import { until } from '../helpers/wait';
import { uniqueName } from '../helpers/ws-client';
import { screenshot } from './helpers/browser';
import { unreachable, useBrowserFixture } from './helpers/browser-fixture';
import { LoadBalancer } from './helpers/load-balancer';
import { AdminPage, ChatPage, firstMessage } from './helpers/pages';

/**
 * The pages against two cluster instances (PostgreSQL and Redis): one person's page served by
 * each instance, and a third behind a round-robin load balancer like the compose file's. The
 * tests run in order and share the people they create.
 */
describe('web pages, two cluster instances', () => {
  // No automatic rebalance during the suite; "Rebalance now" acts even on two connections; moved
  // connections that do not leave are closed after 2 s.
  const fixture = useBrowserFixture({
    mode: 'cluster',
    settings: { REBALANCE_MIN_USERS: '1', REBALANCE_DELAY_MS: '3600000', REBALANCE_INTERVAL_MS: '3600000', REBALANCE_GRACE_MS: '2000' },
  });
  let first: Instance;
  let second: Instance;
  let balancer: LoadBalancer;
  let pageA: ChatPage;
  let pageB: ChatPage;
  let admin: AdminPage;
  const nameA = uniqueName('ann');
  const nameB = uniqueName('ben');
  const nameC = uniqueName('cat');
  const group = uniqueName('crew');

  /** Waits until the first instance's list shows `count` connections on `instance`. */
  const connections = (instance: Instance, count: number, what: string): Promise<void> =>
    fixture.waitForConnections(instance, count, first, what);

  beforeAll(async () => {
    [[first, second]] = await Promise.all([fixture.startMany(2), fixture.launch()]);
    balancer = fixture.track(await new LoadBalancer([first.port, second.port]).start());
  }, 120000);

  it('a page served by each instance: two people chat 1:1 and in a group', async () => {
    pageA = new ChatPage(await (await fixture.person()).page(`http://127.0.0.1:${first.port}/`));
    pageB = new ChatPage(await (await fixture.person()).page(`http://127.0.0.1:${second.port}/`));
    await pageA.register(nameA);
    await pageB.register(nameB);
    await connections(first, 1, 'A on the first instance');
    await connections(second, 1, 'B on the second instance');

    await firstMessage(pageA, nameA, pageB, nameB, 'hello from the first instance');
    await pageB.send('hello from the second instance');
    await pageA.waitForMessage('hello from the second instance');

    await pageB.createGroup(group, [nameA]);
    await pageA.conversation('group', group).waitFor();
    await pageB.send('<i>group</i> & friends');
    await pageA.open('group', group);
    await pageA.waitForMessage('<i>group</i> & friends');
    expect(await pageA.page.locator('[data-testid="message-list"] i').count()).toBe(0);
    await pageA.send('group answer');
    await pageB.waitForMessage('group answer');
  });

  it('a move to the other instance shows on the page, and the chat goes on', async () => {
    await pageA.recordStates();
    const order = await first.http('POST', `/reBalance/handler?host=${second.host}&reBalanceNumber=1`, { auth: 'cluster' });
    expect(order.body.data).toBe(true);
    await until(
      () => pageA.recordedStates(),
      (states) => states.includes('moved') && states.at(-1) === 'connected',
      15000,
      'A moved',
    );
    await connections(second, 2, 'A and B on the second instance');
    await connections(first, 0, 'none left on the first instance');

    await pageA.send('after the move');
    await pageB.waitForMessage('after the move');
    await pageB.send('welcome over');
    await pageA.waitForMessage('welcome over');
  });

  it('the admin console shows both instances with their load, and rebalances now', async () => {
    admin = new AdminPage(await (await fixture.person()).page(`${balancer.url}/admin`));
    await admin.signIn();
    await admin.instance(first.host).waitFor();
    await admin.instance(second.host).waitFor();
    expect(await admin.byTestId('instance').count()).toBe(2);
    await admin.waitForConnections(second.host, 2);
    await admin.waitForConnectionsBar(first.host, 0, 10000, 'empty bar of the first instance');
    expect(await admin.barWidth(second.host, 'bar-connections')).toBe(100);

    await admin.byTestId('rebalance-button').click();
    await admin.page.locator('[data-testid="rebalance-move"]', { hasText: `${second.host} → ${first.host}: 1 connection` }).waitFor();
    // The panel follows on its own: one connection each, after the moved page settled.
    await admin.waitForConnections(first.host, 1);
    await admin.waitForConnectionsBar(first.host, 100, 15000, 'bar of the first instance');
    await screenshot(admin.page, 'cluster-admin-page');
  });

  it('behind the load balancer: chat, reload, and a move to an address the browser cannot reach', async () => {
    const cat = await fixture.person();
    // Behind a real load balancer the instances' own addresses are not reachable from the browser.
    await unreachable(cat, [first, second]);
    const pageC = new ChatPage(await cat.page(`${balancer.url}/`));
    await pageC.register(nameC);
    await firstMessage(pageC, nameC, pageA, nameA, 'hello through the balancer');
    await pageA.send('hello back');
    await pageC.waitForMessage('hello back');

    await pageC.page.reload();
    await pageC.waitForState('connected');
    await pageC.waitForMessage('hello back');

    // Every connection is told to move; C cannot follow, so it comes back through the balancer.
    await pageC.recordStates();
    for (const [from, to] of [
      [first, second],
      [second, first],
    ]) {
      await from.http('POST', `/reBalance/handler?host=${to.host}&reBalanceNumber=100`, { auth: 'cluster' });
    }
    await until(
      () => pageC.recordedStates(),
      (states) => states.includes('moved') && states.includes('reconnecting') && states.at(-1) === 'connected',
      20000,
      'C back through the balancer',
    );
    for (const chat of [pageA, pageB]) await chat.waitForState('connected');
    await pageC.send('still here after the move');
    await pageA.waitForMessage('still here after the move');
    await screenshot(pageC.page, 'cluster-chat-page');
  });

  it('disabling a user signs out their page on whichever instance it is', async () => {
    await admin.disable(nameB);
    await pageB.page.locator('[data-testid="signed-out"]', { hasText: 'signed out: Account is disabled' }).waitFor();
    await pageB.byTestId('auth-form').waitFor();
    await pageA.waitForState('connected');
  });
});
