import { CloseCode, MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { until } from './helpers/wait';
import { loggedIn, uniqueName } from './helpers/ws-client';

describe('disable across instances', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2);
  });

  it(`a user logged in on A and disabled through B gets a Notice on A and is closed with ${CloseCode.Disabled}`, async () => {
    const { name, client } = await fixture.user(a, 'xdis');
    const response = await b.http<boolean>('PUT', `/user/setUserStatus/${name}/false`, { auth: 'admin' });
    expect(response.body).toMatchObject({ code: 0, data: true });
    expect(await client.next((f) => f.messageType === MessageType.Notice)).toMatchObject({ sequenceId: 0, reason: 'Account is disabled' });
    expect((await client.closed).code).toBe(CloseCode.Disabled);
    // The close reached the client; the instance lets the session go right after.
    await until(
      async () => (await a.http<number>('GET', '/getOnlineUserCount')).body.data,
      (count) => count === 0,
      3000,
      'session released',
    );
  });

  it(`the session limit holds across instances: the oldest session, on the other instance, gets ${CloseCode.Replaced}`, async () => {
    const name = uniqueName('xlim');
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(fixture.track(await loggedIn((i % 2 === 0 ? a : b).wsUrl, name, 'secret-pass', i === 0)));
    const sixth = fixture.track(await loggedIn(b.wsUrl, name, 'secret-pass', false));
    expect(await sessions[0].next((f) => f.messageType === MessageType.Notice)).toMatchObject({ sequenceId: 0 });
    expect((await sessions[0].closed).code).toBe(CloseCode.Replaced);
    expect(sessions.slice(1).every((s) => s.isOpen) && sixth.isOpen).toBe(true);
    for (const s of [...sessions, sixth]) s.close();
  });
});
