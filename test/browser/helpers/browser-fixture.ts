import { Browser } from 'playwright-core';
import { CloseCode } from '../../../src/protocol';
import { FixtureOptions, TestFixture } from '../../helpers/fixture';
import { Instance } from '../../helpers/instance';
import { until } from '../../helpers/wait';
import { BrowserUser, launchBrowser } from './browser';

/**
 * A browser suite's world: the shared fixture (environment, instances, everything closed when the
 * suite ends) with a headless Chromium in it, and the people whose pages must not complain.
 */
export class BrowserFixture extends TestFixture {
  private launched?: Browser;
  /** The people made by `person`: after each test, none of their pages may have had a problem. */
  readonly people: BrowserUser[] = [];

  get browser(): Browser {
    if (!this.launched) throw new Error('the browser is not launched yet');
    return this.launched;
  }

  /** Launches the browser, closed (with every page in it) when the suite ends. */
  async launch(): Promise<Browser> {
    this.launched = this.track(await launchBrowser());
    return this.launched;
  }

  /** A new person: a browser context of their own, whose pages' problems fail the test. */
  async person(): Promise<BrowserUser> {
    const user = await BrowserUser.create(this.browser);
    this.people.push(user);
    return user;
  }

  /** The number of connections `via`'s instance list shows on `instance` (-1 while it is not listed). */
  async connectionsOn(instance: Instance, via: Instance): Promise<number> {
    const list = await via.http<{ host: string; connections: number }[]>('GET', '/cluster/instances', { auth: 'admin' });
    return list.body.data.find((entry) => entry.host === instance.host)?.connections ?? -1;
  }

  /** Waits until `via`'s instance list shows exactly `count` connections on `instance`. */
  async waitForConnections(instance: Instance, count: number, via: Instance, what: string, timeoutMs = 10000): Promise<void> {
    await until(
      () => this.connectionsOn(instance, via),
      (n) => n === count,
      timeoutMs,
      what,
    );
  }
}

/**
 * A browser fixture for the enclosing `describe`, set up and disposed like `useFixture`'s; after
 * each test it expects that no person's page had a problem.
 */
export function useBrowserFixture(options: FixtureOptions = {}): BrowserFixture {
  const fixture = new BrowserFixture(options);
  beforeAll(() => fixture.setup(), options.setupTimeoutMs ?? 120000);
  afterAll(() => fixture.dispose(), 60000);
  afterEach(() => {
    expect(fixture.people.flatMap((user) => user.problems)).toEqual([]);
  });
  return fixture;
}

/** Makes the instances' own addresses unreachable from `user`'s browser, as behind a real load balancer. */
export async function unreachable(user: BrowserUser, instances: Instance[]): Promise<void> {
  for (const instance of instances) {
    await user.context.routeWebSocket(instance.wsUrl, (socket) => socket.close({ code: CloseCode.Internal, reason: 'unreachable' }));
  }
}
