import { CloseCode, MessageType } from '../src/protocol';
import { MODE, TestEnvironment } from './helpers/environment';
import { Instance, startInstance } from './helpers/instance';
import { WsTestClient, loggedIn, uniqueName } from './helpers/ws-client';
import { sleep } from './helpers/wait';

describe(`slow consumers (${MODE})`, () => {
  const env = new TestEnvironment();
  let server: Instance;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    await env.setup();
    server = await startInstance(env.instanceEnv({ WS_MAX_BUFFERED_BYTES: '65536', RATE_LIMIT_PER_SEC: '1000', RATE_LIMIT_BURST: '1000' }));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.stop();
    await env.dispose();
  });

  it('closes a client that does not read with 1013, and its messages stay stored for its next login', async () => {
    const reader = uniqueName('slow');
    const slow = await loggedIn(server.wsUrl, reader);
    const sender = await loggedIn(server.wsUrl, uniqueName('flood'));
    clients.push(slow, sender);
    const tcp = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const content = 'x'.repeat(19000);
    const acks: Promise<{ success: boolean; messageId: string }>[] = [];
    // Several MB: more than the kernel's socket buffers hold, so the server's own buffer grows.
    for (let i = 0; i < 400; i++)
      acks.push(sender.request({ messageType: MessageType.ChatRequest, to: reader, content, clientMessageId: `m${i}` }) as never);
    const acked = await Promise.all(acks);
    expect(acked.every((a) => a.success)).toBe(true);
    await sleep(200);
    tcp.resume();
    expect((await slow.closed).code).toBe(CloseCode.TryAgainLater);

    const again = await loggedIn(server.wsUrl, reader, 'secret-pass', false);
    clients.push(again);
    const replayed = await again.collect((f) => f.messageType === MessageType.ChatResponse && f.offline === true, acked.length, 30000);
    expect(new Set(replayed.map((f) => f.messageId))).toEqual(new Set(acked.map((a) => a.messageId)));
  });
});
