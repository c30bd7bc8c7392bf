import { ChatClient, ChatMessage } from '@chat-server/client';
import WebSocket from 'ws';
import { MessageType } from '../src/protocol';
import { connectionsOn, moveOrder } from './helpers/cluster';
import { useFixture } from './helpers/fixture';
import { Instance, freePort } from './helpers/instance';
import { until } from './helpers/wait';
import { uniqueName } from './helpers/ws-client';

/**
 * The SDK told to move (a ReBalance push) to an instance whose public URL does not answer (a closed port):
 * it stays where it is, and when that connection ends it goes back to the URL it was given.
 */
describe('SDK move to a target that does not answer', () => {
  const fixture = useFixture({
    mode: 'cluster',
    settings: { HEARTBEAT_MS: '300', REBALANCE_GRACE_MS: '1500', REBALANCE_DELAY_MS: '600000', REBALANCE_INTERVAL_MS: '600000' },
  });
  let a: Instance;
  let b: Instance;
  let c: Instance;
  let deadUrl: string;

  async function sdkUser(on: Instance): Promise<{ client: ChatClient; name: string; messages: ChatMessage[] }> {
    const name = uniqueName('mover');
    const client = fixture.track(new ChatClient({ WebSocketImpl: WebSocket, backoff: { baseMs: 50, capMs: 200 } }));
    const messages: ChatMessage[] = [];
    client.on('message', (message) => messages.push(message));
    await client.connect(on.wsUrl);
    await client.register(name, 'secret-pass');
    await client.login(name, 'secret-pass');
    return { client, name, messages };
  }

  beforeAll(async () => {
    deadUrl = `ws://127.0.0.1:${await freePort()}/ws`;
    [a, b, c] = await Promise.all([fixture.start(), fixture.start({ PUBLIC_URL: deadUrl }), fixture.start()]);
    await fixture.listed(a, (list) => list.length === 3, 10000);
  }, 120000);

  it('falls back to the URL it was given when the target does not answer, and logs in there again', async () => {
    const { client, name, messages } = await sdkUser(a);
    const moves: string[] = [];
    const errors: string[] = [];
    const reconnectedTo: string[] = [];
    client.on('moved', (event) => moves.push(event.url));
    client.on('error', (error) => errors.push(error.message));
    client.on('reconnected', () => reconnectedTo.push(client.url ?? ''));

    expect((await moveOrder(a, b.host)).body).toMatchObject({ code: 0, data: true });
    await until(
      async () => errors,
      (seen) => seen.length > 0,
      10000,
      'the failed move',
    );
    expect(moves).toEqual([deadUrl]);
    expect(errors[0]).toContain(deadUrl);
    expect(client.state).toBe('connected');
    expect(client.url).toBe(a.wsUrl);

    // After the grace period the instance closes the session with CloseCode.Moved: the client comes back to A, not to the dead URL.
    await until(
      async () => reconnectedTo,
      (seen) => seen.length > 0,
      15000,
      'the reconnect',
    );
    expect(reconnectedTo).toEqual([a.wsUrl]);
    expect(client.username).toBe(name);
    const { client: sender } = await fixture.user(c, 'sender');
    expect(
      await sender.request({ messageType: MessageType.ChatRequest, to: name, content: 'back on A', clientMessageId: uniqueName('m') }),
    ).toMatchObject({
      success: true,
    });
    await until(
      async () => messages,
      (seen) => seen.some((m) => m.content === 'back on A'),
      10000,
      'the message after the fallback',
    );
    client.close();
  });

  it('keeps the target after a move that worked', async () => {
    const { client } = await sdkUser(a);
    // The order moves a random session of A: this one must be its only one.
    await until(
      () => connectionsOn(a, a),
      (count) => count === 1,
      10000,
      'one session on A',
    );
    const moved = new Promise<void>((resolve) => client.on('state', (state) => state === 'connected' && resolve()));
    expect((await moveOrder(a, c.host)).body).toMatchObject({ code: 0, data: true });
    await moved;
    expect(client.url).toBe(c.wsUrl);
    await until(
      () => connectionsOn(a, c),
      (count) => count >= 1,
      10000,
      'the session on C',
    );
    client.close();
  });

  it('subscribes to presence again on the instance it moved to: the pushes go on', async () => {
    const { client } = await sdkUser(a);
    const watched = await fixture.user(b, 'watched');
    await until(
      () => connectionsOn(a, a),
      (count) => count === 1,
      10000,
      'one session on A',
    );
    expect(await client.presence([watched.name], { subscribe: true })).toEqual([{ username: watched.name, online: true, lastSeen: null }]);
    const seen: Array<{ username: string; online: boolean }> = [];
    client.on('presence', (entry) => seen.push(entry));
    const moved = new Promise<void>((resolve) => client.on('state', (state) => state === 'connected' && resolve()));
    expect((await moveOrder(a, c.host)).body).toMatchObject({ code: 0, data: true });
    await moved;
    expect(client.url).toBe(c.wsUrl);
    // A's connection, which held the subscription, is gone once A sees no session left.
    await until(
      () => connectionsOn(a, a),
      (count) => count === 0,
      10000,
      'the session gone from A',
    );

    watched.client.close();
    await until(
      async () => seen,
      (entries) => entries.some((entry) => entry.username === watched.name && !entry.online),
      10000,
      'the offline push on C',
    );
    client.close();
  });
});
