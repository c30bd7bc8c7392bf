import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { WsTestClient, uniqueName } from './helpers/ws-client';

/**
 * The rate limits live in Redis in cluster mode, so they hold across instances, on whichever
 * topology the project runs (single Redis, Redis Cluster, Sentinel).
 */
describe('rate limits shared by the instances of a cluster', () => {
  const fixture = useFixture({
    mode: 'cluster',
    settings: { REGISTER_LIMIT_PER_ADDRESS: '3', LOGIN_LIMIT_PER_USERNAME: '2', HTTP_LIMIT_PER_ADDRESS: '4', TRUST_PROXY: '127.0.0.1' },
  });
  let a: Instance;
  let b: Instance;
  const TOO_MANY = /^Too many attempts, please try again in \d+ s$/;

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2);
  });

  const from = async (target: Instance, address: string) =>
    fixture.track(await WsTestClient.connect(target.wsUrl, { headers: { 'x-forwarded-for': address } }));

  it('registrations per address count on every instance', async () => {
    const onA = await from(a, '198.51.100.40');
    const onB = await from(b, '198.51.100.40');
    expect((await onA.register(uniqueName('rl'), 'secret-pass')).success).toBe(true);
    expect((await onB.register(uniqueName('rl'), 'secret-pass')).success).toBe(true);
    expect((await onA.register(uniqueName('rl'), 'secret-pass')).success).toBe(true);
    expect((await onB.register(uniqueName('rl'), 'secret-pass')).reason).toMatch(TOO_MANY);
    expect((await onA.register(uniqueName('rl'), 'secret-pass')).reason).toMatch(TOO_MANY);
    expect((await (await from(b, '198.51.100.41')).register(uniqueName('rl'), 'secret-pass')).success).toBe(true);
  });

  it('password logins per username count on every instance', async () => {
    const name = uniqueName('rl');
    expect((await (await from(a, '198.51.100.50')).register(name, 'secret-pass')).success).toBe(true);
    expect((await (await from(a, '198.51.100.51')).login(name, 'wrong-pass')).reason).toBe('Wrong password');
    expect((await (await from(b, '198.51.100.52')).login(name, 'secret-pass')).success).toBe(true);
    expect((await (await from(a, '198.51.100.53')).login(name, 'secret-pass')).reason).toMatch(TOO_MANY);
    expect((await (await from(b, '198.51.100.54')).login(name, 'secret-pass')).reason).toMatch(TOO_MANY);
  });

  it('HTTP requests per address count on every instance', async () => {
    const get = (target: Instance) => fetch(`http://127.0.0.1:${target.port}/port`, { headers: { 'x-forwarded-for': '198.51.100.60' } });
    const statuses: number[] = [];
    for (const target of [a, b, a, b, a, b]) statuses.push((await get(target)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
