import { Client } from 'pg';
import { MessageType } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance, startInstance } from './helpers/instance';
import { WebhookReceiver, signatureValid } from './helpers/webhook-receiver';
import { sleep, until } from './helpers/wait';
import { WsTestClient } from './helpers/ws-client';

const SECRET = 'push-secret-0123456789';
/** Small retry delays and a short timeout, so that a test sees several attempts in seconds. */
const FAST = {
  PUSH_WEBHOOK_SECRET: SECRET,
  PUSH_RETRY_BASE_MS: '100',
  PUSH_RETRY_MAX_DELAY_MS: '300',
  PUSH_POLL_MS: '100',
  PUSH_WEBHOOK_TIMEOUT_MS: '1000',
};

async function chat(client: WsTestClient, to: string, content: string) {
  const ack = await client.request({ messageType: MessageType.ChatRequest, to, content });
  expect(ack.success).toBe(true);
  return ack;
}

async function groupChat(client: WsTestClient, sender: string, groupName: string, content: string) {
  const sequenceId = client.send({ messageType: MessageType.GroupChatRequest, groupName, content });
  const ack = await client.next((f) => f.messageType === MessageType.GroupChatResponse && f.sequenceId === sequenceId && f.from === sender);
  expect(ack.success).toBe(true);
  return ack;
}

/** Offline push (docs/operations.md, "Offline push"): a signed POST per offline recipient, from a stored queue. */
describe(`offline push webhook (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  const receiver = new WebhookReceiver();
  let server: Instance;
  let settings: Record<string, string>;

  beforeAll(async () => {
    await receiver.listen(0);
    settings = { ...FAST, PUSH_WEBHOOK_URL: receiver.url };
    server = await fixture.start(settings);
    // PGlite's first start takes about 20 s, longer on a loaded machine.
  }, 180000);

  afterAll(() => receiver.close());

  beforeEach(async () => {
    receiver.mode = 'ok';
    receiver.delayMs = 0;
    server = await fixture.alive(server, settings);
  });

  it('POSTs a message to an offline user, signed over the timestamp and the exact body', async () => {
    const alice = await fixture.user(server, 'alice');
    const bob = await fixture.registered(server, 'bob');
    const ack = await chat(alice.client, bob, 'hello bob');
    expect(ack.delivered).toBe(false);
    const [push] = await until(
      async () => receiver.delivered(bob),
      (list) => list.length > 0,
      10000,
      'the push',
    );
    expect(JSON.parse(push.body)).toEqual({ to: bob, from: alice.name, messageId: ack.messageId, preview: 'hello bob' });
    expect(push.headers['content-type']).toBe('application/json');
    expect(signatureValid(SECRET, push)).toBe(true);
    expect(signatureValid('another-secret-0123456789', push)).toBe(false);
    expect(Math.abs(Number(push.headers['x-chat-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('does not POST for a recipient with a live session', async () => {
    const alice = await fixture.user(server, 'alice');
    const bob = await fixture.user(server, 'bob');
    const carol = await fixture.registered(server, 'carol');
    expect((await chat(alice.client, bob.name, 'you are online')).delivered).toBe(true);
    // Carol's push, queued after bob's message, shows the queue has been worked past it.
    await chat(alice.client, carol, 'you are not');
    await until(
      async () => receiver.delivered(carol),
      (list) => list.length > 0,
      10000,
      "carol's push",
    );
    await sleep(500);
    expect(receiver.to(bob.name)).toEqual([]);
  });

  it('POSTs a group message to each offline member, not to the online ones or the sender', async () => {
    const alice = await fixture.user(server, 'alice');
    const dave = await fixture.user(server, 'dave');
    const [bob, carol] = await fixture.registeredMany(server, 'bob', 'carol');
    const groupName = `push-${alice.name}`.slice(0, 30);
    const created = await alice.client.request({
      messageType: MessageType.GroupCreateRequest,
      groupName,
      members: [bob, carol, dave.name],
    });
    expect(created.success).toBe(true);
    const ack = await groupChat(alice.client, alice.name, groupName, 'to the group');
    for (const member of [bob, carol]) {
      const [push] = await until(
        async () => receiver.delivered(member),
        (list) => list.length > 0,
        10000,
        `${member}'s push`,
      );
      expect(JSON.parse(push.body)).toEqual({ to: member, from: alice.name, groupName, messageId: ack.messageId, preview: 'to the group' });
      expect(signatureValid(SECRET, push)).toBe(true);
    }
    await sleep(500);
    expect([...receiver.to(dave.name), ...receiver.to(alice.name)]).toEqual([]);
  });

  it('cuts the preview to PUSH_PREVIEW_CHARS code points, and sends "" with 0', async () => {
    const alice = await fixture.user(server, 'alice');
    const bob = await fixture.registered(server, 'bob');
    const long = `${'😀'.repeat(99)}é${'x'.repeat(50)}`;
    const ack = await chat(alice.client, bob, long);
    const [push] = await until(
      async () => receiver.delivered(bob),
      (list) => list.length > 0,
      10000,
      'the push',
    );
    expect(push.json).toMatchObject({ messageId: ack.messageId, preview: `${'😀'.repeat(99)}é` });

    const quiet = await fixture.start({ ...settings, PUSH_PREVIEW_CHARS: '0' });
    const sender = await fixture.user(quiet, 'alice');
    const carol = await fixture.registered(quiet, 'carol');
    const second = await chat(sender.client, carol, 'secret content');
    const [none] = await until(
      async () => receiver.delivered(carol),
      (list) => list.length > 0,
      10000,
      'the push',
    );
    expect(JSON.parse(none.body)).toEqual({ to: carol, from: sender.name, messageId: second.messageId, preview: '' });
    await quiet.stop();
  });

  it('retries while the receiver fails, and every queued message reaches it once it recovers', async () => {
    const alice = await fixture.user(server, 'alice');
    const bob = await fixture.registered(server, 'bob');
    receiver.mode = 'fail';
    const ids: unknown[] = [];
    for (let i = 0; i < 10; i++) ids.push((await chat(alice.client, bob, `m${i}`)).messageId);
    // Each has failed at least twice: they are in the retry schedule, not in a first attempt.
    await until(
      async () => ids.map((id) => receiver.to(bob).filter((r) => r.json.messageId === id && r.status === 500).length),
      (counts) => counts.every((count) => count >= 2),
      15000,
      'two failed attempts of each',
    );
    receiver.mode = 'ok';
    const delivered = await until(
      async () => new Set(receiver.delivered(bob).map((r) => r.json.messageId)),
      (set) => ids.every((id) => set.has(id)),
      15000,
      'every message delivered',
    );
    expect(delivered.size).toBe(ids.length);
    const metrics = (await server.http('GET', '/metrics', { auth: 'admin' })).text;
    expect(metrics).toMatch(/chat_push_failed_total\{reason="retryable_status"\} [1-9]/);
    expect(metrics).toMatch(/chat_push_sent_total [1-9]/);
  });

  it('a receiver that never answers does not hold up sends: acks arrive while the webhook hangs', async () => {
    const alice = await fixture.user(server, 'alice');
    const offline = await fixture.registeredMany(server, 'b1', 'b2', 'b3', 'b4');
    const ids: unknown[] = [];
    const timeAcks = async (count: number): Promise<number[]> => {
      const latencies: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = Date.now();
        ids.push((await chat(alice.client, offline[i % offline.length], `slow ${i}`)).messageId);
        latencies.push(Date.now() - started);
      }
      return latencies;
    };
    const healthy = await timeAcks(10);
    receiver.mode = 'hang';
    await chat(alice.client, offline[0], 'first to hang');
    await until(
      async () => receiver.hangingCount,
      (n) => n > 0,
      10000,
      'a hanging request',
    );
    const hanging = await timeAcks(40);
    expect(receiver.hangingCount).toBeGreaterThan(0);
    // Functional, not a benchmark: 40 acks within 10 s while every POST hangs for its full timeout.
    expect(hanging.reduce((a, b) => a + b, 0)).toBeLessThan(10000);
    process.stdout.write(
      `ack latency ms, median: healthy webhook ${healthy.sort((a, b) => a - b)[5]}, hanging webhook ${hanging.sort((a, b) => a - b)[20]}\n`,
    );
    receiver.mode = 'ok';
    // The hung attempts time out (PUSH_WEBHOOK_TIMEOUT_MS) and are tried again.
    await until(
      async () => new Set(receiver.requests.filter((r) => r.status === 200).map((r) => r.json.messageId)),
      (delivered) => ids.every((id) => delivered.has(id)),
      30000,
      'every push after the hang',
    );
    const metrics = (await server.http('GET', '/metrics', { auth: 'admin' })).text;
    expect(metrics).toMatch(/chat_push_failed_total\{reason="timeout"\} [1-9]/);
  });

  /** Cluster mode: the previews stored for a message's queued rows, as the database holds them (at rest). */
  async function storedPreviews(messageId: unknown): Promise<string[]> {
    const db = new Client({ connectionString: fixture.env.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ preview: string }>('SELECT preview FROM push_queue WHERE message_id = $1', [messageId]);
      return rows.map((r) => r.preview);
    } finally {
      await db.end();
    }
  }

  const recalledDrops = async (): Promise<number> => {
    const metrics = (await server.http('GET', '/metrics', { auth: 'admin' })).text;
    return Number(/chat_push_dropped_total\{reason="recalled"\} (\d+)/.exec(metrics)?.[1] ?? 'NaN');
  };

  /** An attempt may have been under way at an edit or a recall (claimed before it): it may still arrive this long after the answer. */
  const IN_FLIGHT_MS = 200;

  it('a message recalled while its push waits for a retry is never POSTed again, and never delivered', async () => {
    const alice = await fixture.user(server, 'alice');
    const bob = await fixture.registered(server, 'bob');
    receiver.mode = 'fail';
    const text = `recalled text ${bob}`;
    const { messageId } = await chat(alice.client, bob, text);
    await until(
      async () => receiver.to(bob).filter((r) => r.json.messageId === messageId).length,
      (n) => n >= 2,
      10000,
      'two failed attempts',
    );
    const dropsBefore = await recalledDrops();
    const recalled = await alice.client.request({ messageType: MessageType.RecallRequest, messageId });
    expect(recalled.success).toBe(true);
    // The row is deleted before the answer, not left with the text until its next claim.
    expect(await recalledDrops()).toBe(dropsBefore + 1);
    if (MODE === 'cluster') expect(await storedPreviews(messageId)).toEqual([]);
    const after = Date.now() + IN_FLIGHT_MS;
    // Several retry delays (100–300 ms) while failing, then the receiver recovers.
    await sleep(1000);
    receiver.mode = 'ok';
    const later = await chat(alice.client, bob, 'after the recall');
    await until(
      async () => receiver.delivered(bob).filter((r) => r.json.messageId === later.messageId),
      (list) => list.length > 0,
      10000,
      'the later push',
    );
    await sleep(1000);
    expect(receiver.requests.filter((r) => r.at > after && (r.body.includes(text) || r.json.messageId === messageId))).toEqual([]);
    expect(receiver.delivered(bob).filter((r) => r.json.messageId === messageId)).toEqual([]);
    expect(await recalledDrops()).toBe(dropsBefore + 1);
  });

  it('a message edited while its push waits for a retry is POSTed with the new preview (cut), never the old', async () => {
    const alice = await fixture.user(server, 'alice');
    const bob = await fixture.registered(server, 'bob');
    receiver.mode = 'fail';
    const before = `first words ${bob}`;
    const { messageId } = await chat(alice.client, bob, before);
    await until(
      async () => receiver.to(bob).filter((r) => r.json.messageId === messageId).length,
      (n) => n >= 2,
      10000,
      'two failed attempts',
    );
    const edited = await alice.client.request({ messageType: MessageType.EditRequest, messageId, content: `${'😀'.repeat(100)} and more` });
    expect(edited.success).toBe(true);
    if (MODE === 'cluster') expect(await storedPreviews(messageId)).toEqual(['😀'.repeat(100)]);
    const after = Date.now() + IN_FLIGHT_MS;
    await sleep(1000);
    // Retried meanwhile, with the new preview already.
    const retried = receiver.requests.filter((r) => r.at > after && r.json.messageId === messageId);
    expect(retried.length).toBeGreaterThan(0);
    receiver.mode = 'ok';
    const [push] = await until(
      async () => receiver.delivered(bob).filter((r) => r.json.messageId === messageId),
      (list) => list.length > 0,
      10000,
      'the push',
    );
    expect(JSON.parse(push.body)).toEqual({ to: bob, from: alice.name, messageId, preview: '😀'.repeat(100) });
    expect(signatureValid(SECRET, push)).toBe(true);
    expect(receiver.requests.filter((r) => r.at > after && r.body.includes(before))).toEqual([]);
  });

  it.each([
    [{ PUSH_WEBHOOK_URL: 'ftp://127.0.0.1/push', PUSH_WEBHOOK_SECRET: SECRET }, 'PUSH_WEBHOOK_URL'],
    [{ PUSH_WEBHOOK_URL: 'http://user:pass@127.0.0.1/push', PUSH_WEBHOOK_SECRET: SECRET }, 'PUSH_WEBHOOK_URL'],
    [{ PUSH_WEBHOOK_URL: 'http://127.0.0.1/push' }, 'PUSH_WEBHOOK_SECRET is required'],
    [{ PUSH_WEBHOOK_URL: 'http://127.0.0.1/push', PUSH_WEBHOOK_SECRET: 'short' }, 'PUSH_WEBHOOK_SECRET must be'],
    [{ PUSH_PREVIEW_CHARS: '-1' }, 'PUSH_PREVIEW_CHARS'],
    [{ PUSH_RETRY_BASE_MS: '5000', PUSH_RETRY_MAX_DELAY_MS: '1000' }, 'PUSH_RETRY_MAX_DELAY_MS'],
  ])('refuses to start with %j', async (bad, named) => {
    await expect(startInstance(fixture.instanceEnv(bad), 30000)).rejects.toThrow(named);
  });

  // A world of its own: no other instance of the suite shares this queue (in cluster mode they share the database).
  describe('across a restart', () => {
    const own = useFixture({ closeClientsAfterEach: true });

    it.each([
      ['SIGTERM', 'fail'],
      ['SIGKILL', 'down'],
    ] as const)(
      'keeps the queue across a restart (%s, the receiver %s meanwhile)',
      async (signal, receiverState) => {
        const env = own.instanceEnv(settings);
        const first = own.adopt(await startInstance(env));
        const alice = await own.user(first, 'alice');
        const bob = await own.registered(first, 'bob');
        receiver.mode = 'fail';
        const ids: unknown[] = [];
        for (let i = 0; i < 5; i++) ids.push((await chat(alice.client, bob, `r${i}`)).messageId);
        // Every entry is stored: each has been attempted (a claim reads the table).
        await until(
          async () => new Set(receiver.to(bob).map((r) => r.json.messageId)),
          (set) => ids.every((id) => set.has(id)),
          10000,
          'an attempt of each',
        );
        // No client left to drain: a SIGTERM stop is the queue's shutdown, not a 20 s drain.
        alice.client.close();
        if (receiverState === 'down') await receiver.close();
        await first.kill(signal);
        const attemptsBefore = receiver.to(bob).length;
        if (receiverState === 'down') await receiver.listen();
        receiver.mode = 'ok';
        await sleep(300);
        expect(receiver.to(bob).length).toBe(attemptsBefore);
        const second = own.adopt(await startInstance(env));
        const delivered = await until(
          async () => new Set(receiver.delivered(bob).map((r) => r.json.messageId)),
          (set) => ids.every((id) => set.has(id)),
          30000,
          'every message delivered after the restart',
        );
        expect(delivered.size).toBe(ids.length);
        await second.stop();
      },
      120000,
    );
  });
});
