import { MessageType } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { WsTestClient, uniqueName } from './helpers/ws-client';

describe(`concurrent wrong passwords (${MODE})`, () => {
  const fixture = useFixture();
  let server: Instance;

  beforeAll(async () => {
    server = await fixture.start({ LOCKOUT_MAX_ERRORS: '1000000' });
  });

  it('200 concurrent logins with a wrong password leave passwordErrorNum at exactly 200', async () => {
    const name = uniqueName('race');
    // One attempt per connection: a connection runs one login at a time.
    const connections = await Promise.all(Array.from({ length: 200 }, () => WsTestClient.connect(server.wsUrl)));
    try {
      expect((await connections[0].register(name, 'secret-pass')).success).toBe(true);
      const attempts = connections.map((client) =>
        client.request({ messageType: MessageType.LoginRequest, username: name, password: 'wrong-pass' }, 60000),
      );
      const responses = await Promise.all(attempts);
      expect(responses.every((r) => r.reason === 'Wrong password')).toBe(true);
      const user = await server.http<{ passwordErrorNum: number }>('GET', `/user/${name}`, { auth: 'admin' });
      expect(user.body.data.passwordErrorNum).toBe(200);
    } finally {
      for (const client of connections) client.close();
    }
  });
});
