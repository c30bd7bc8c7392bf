import { Instance, freePort } from '../helpers/instance';
import { until } from '../helpers/wait';
import { uniqueName } from '../helpers/ws-client';
import { BrowserUser, screenshot } from './helpers/browser';
import { unreachable, useBrowserFixture } from './helpers/browser-fixture';
import { LoadBalancer } from './helpers/load-balancer';
import { AdminPage, ChatPage, firstMessage } from './helpers/pages';

/**
 * The chat page behind a load balancer, with instances that clients reach only at their
 * PUBLIC_URL: each instance sits behind a forwarder of its own on another port (as behind a TLS
 * proxy, or Docker's published ports), and the browser cannot open the addresses the instances
 * listen on. A move must take the page to the target's public URL, through its forwarder.
 */
describe('web pages, instances reached at their PUBLIC_URL', () => {
  // No automatic rebalance; moved connections that do not leave are closed after 2 s.
  const fixture = useBrowserFixture({
    mode: 'cluster',
    settings: { REBALANCE_DELAY_MS: '3600000', REBALANCE_INTERVAL_MS: '3600000', REBALANCE_GRACE_MS: '2000' },
  });
  /** The instances, each at the index of its forwarder. */
  const instances: Instance[] = [];
  const forwarders: LoadBalancer[] = [];
  let balancer: LoadBalancer;
  let pageA: ChatPage;
  let pageB: ChatPage;
  /** The instance A's page was sent to by the balancer. */
  let homeOfA: Instance;
  const nameA = uniqueName('pua');
  const nameB = uniqueName('pub');

  type Listed = { host: string; url: string; connections: number }[];
  const listed = async (): Promise<Listed> => (await instances[0].http<Listed>('GET', '/cluster/instances', { auth: 'admin' })).body.data;
  const connectionsOn = (instance: Instance): Promise<number> => fixture.connectionsOn(instance, instances[0]);

  /** A person whose browser reaches the balancer and the forwarders, never an instance's own address. */
  const person = async (): Promise<BrowserUser> => {
    const user = await fixture.person();
    await unreachable(user, instances);
    return user;
  };

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    forwarders.push(...(await Promise.all(ports.map(async (port) => fixture.track(await new LoadBalancer([port]).start())))));
    const [started] = await Promise.all([
      Promise.all(ports.map((port, i) => fixture.start({ PORT: String(port), PUBLIC_URL: forwarders[i].wsUrl }))),
      fixture.launch(),
    ]);
    instances.push(...started);
    balancer = fixture.track(await new LoadBalancer(ports).start());
    await until(listed, (list) => list.length === 2, 10000, 'two instances');
  }, 120000);

  it('two people chat through the load balancer', async () => {
    pageA = new ChatPage(await (await person()).page(`${balancer.url}/`));
    await pageA.register(nameA);
    const list = await until(listed, (l) => l.reduce((sum, i) => sum + i.connections, 0) === 1, 10000, 'A logged in');
    homeOfA = instances.find((instance) => list.find((i) => i.host === instance.host)?.connections === 1)!;
    pageB = new ChatPage(await (await person()).page(`${balancer.url}/`));
    await pageB.register(nameB);
    await until(listed, (l) => l.reduce((sum, i) => sum + i.connections, 0) === 2, 10000, 'both logged in');
    await firstMessage(pageA, nameA, pageB, nameB, 'hello before the move');
  });

  it("a move takes the page to the other instance through that instance's public URL, and the chat goes on", async () => {
    // Every connection of A's instance (B's too, if the balancer sent it there) moves to the other one.
    const source = homeOfA;
    const target = instances.find((instance) => instance !== source)!;
    const targetForwarder = forwarders[instances.indexOf(target)];
    const before = { through: targetForwarder.accepted, onTarget: await connectionsOn(target), onSource: await connectionsOn(source) };
    await pageA.recordStates();
    const path = `/reBalance/handler?host=${encodeURIComponent(target.host)}&reBalanceNumber=100`;
    const order = await source.http('POST', path, { auth: 'cluster' });
    expect(order.body).toMatchObject({ code: 0, data: true });
    await until(
      () => pageA.recordedStates(),
      (states) => states.includes('moved') && states.at(-1) === 'connected',
      15000,
      'A moved',
    );
    await fixture.waitForConnections(target, before.onTarget + before.onSource, instances[0], 'everyone on the target');
    await fixture.waitForConnections(source, 0, instances[0], 'none left on the source');
    // The moved pages opened their connections through the target's forwarder, its public URL.
    expect(targetForwarder.accepted).toBeGreaterThanOrEqual(before.through + before.onSource);
    // A followed the move itself: it did not lose its connection and come back through the balancer.
    expect(await pageA.recordedStates()).not.toContain('reconnecting');

    await pageB.waitForState('connected');
    await pageA.send('after the move');
    await pageB.waitForMessage('after the move');
    await pageB.send('welcome over');
    await pageA.waitForMessage('welcome over');
    await screenshot(pageA.page, 'public-url-chat-page');
  });

  it("the admin console shows each instance's public URL", async () => {
    const admin = new AdminPage(await (await person()).page(`${balancer.url}/admin`));
    await admin.signIn();
    for (const [i, instance] of instances.entries()) {
      await admin
        .instance(instance.host)
        .getByTestId('instance-url')
        .filter({ hasText: `clients: ${forwarders[i].wsUrl}` })
        .waitFor();
    }
  });
});
