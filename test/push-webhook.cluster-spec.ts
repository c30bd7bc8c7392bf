import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { WebhookReceiver, signatureValid } from './helpers/webhook-receiver';
import { until } from './helpers/wait';

const SECRET = 'push-secret-0123456789';

/** The sent counter of one instance's /metrics. */
async function sent(instance: Instance): Promise<number> {
  const text = (await instance.http('GET', '/metrics', { auth: 'admin' })).text;
  return Number(/^chat_push_sent_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Two instances work one stored push queue: with a healthy receiver, each entry is POSTed once. */
describe('offline push webhook across instances', () => {
  const fixture = useFixture({ mode: 'cluster', closeClientsAfterEach: true });
  const receiver = new WebhookReceiver();
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    await receiver.listen(0);
    // A slow answer and few slots per instance: entries pile up, and both instances claim from the shared table.
    receiver.delayMs = 30;
    [a, b] = await fixture.startMany(2, {
      PUSH_WEBHOOK_URL: receiver.url,
      PUSH_WEBHOOK_SECRET: SECRET,
      PUSH_CONCURRENCY: '2',
      PUSH_POLL_MS: '50',
    });
  });

  afterAll(() => receiver.close());

  it('sends each entry once, whichever instance queued it, and both instances send', async () => {
    const alice = await fixture.user(a, 'alice');
    const carol = await fixture.user(b, 'carol');
    const bob = await fixture.registered(a, 'bob');
    const ids: unknown[] = [];
    const sends: Promise<void>[] = [];
    for (const [client, count] of [
      [alice.client, 60],
      [carol.client, 60],
    ] as const) {
      sends.push(
        (async () => {
          for (let i = 0; i < count; i++) {
            const ack = await client.request({ messageType: MessageType.ChatRequest, to: bob, content: `m${i}` });
            expect(ack.success).toBe(true);
            ids.push(ack.messageId);
          }
        })(),
      );
    }
    await Promise.all(sends);
    await until(
      async () => new Set(receiver.delivered(bob).map((r) => r.json.messageId)),
      (delivered) => ids.every((id) => delivered.has(id)),
      60000,
      'every push',
    );
    const requests = receiver.to(bob);
    const perMessage = new Map<unknown, number>();
    for (const request of requests) perMessage.set(request.json.messageId, (perMessage.get(request.json.messageId) ?? 0) + 1);
    expect([...perMessage].filter(([, count]) => count > 1)).toEqual([]);
    expect(requests.length).toBe(ids.length);
    expect(requests.every((r) => signatureValid(SECRET, r))).toBe(true);
    const [fromA, fromB] = await Promise.all([sent(a), sent(b)]);
    expect(fromA + fromB).toBe(ids.length);
    expect(Math.min(fromA, fromB)).toBeGreaterThan(0);
  }, 120000);
});
