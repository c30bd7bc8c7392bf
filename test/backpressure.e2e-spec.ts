import { CloseCode, MessageType } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { sleep } from './helpers/wait';

describe(`slow consumers (${MODE})`, () => {
  const fixture = useFixture();
  let server: Instance;

  beforeAll(async () => {
    server = await fixture.start({ WS_MAX_BUFFERED_BYTES: '65536', RATE_LIMIT_PER_SEC: '1000', RATE_LIMIT_BURST: '1000' });
  });

  it(`closes a client that does not read with ${CloseCode.TryAgainLater}, and its messages stay stored for its next login`, async () => {
    const { name: reader, client: slow } = await fixture.user(server, 'slow');
    const { client: sender } = await fixture.user(server, 'flood');
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

    const again = await fixture.session(server, reader);
    const replayed = await again.collect((f) => f.messageType === MessageType.ChatResponse && f.offline === true, acked.length, 30000);
    expect(new Set(replayed.map((f) => f.messageId))).toEqual(new Set(acked.map((a) => a.messageId)));
  });
});
