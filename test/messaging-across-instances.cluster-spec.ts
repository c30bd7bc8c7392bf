import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame } from './helpers/ws-client';
import { sleep } from './helpers/wait';

describe('1:1 messaging across instances', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let a: Instance;
  let b: Instance;
  let c: Instance;

  beforeAll(async () => {
    const common = { RATE_LIMIT_PER_SEC: '2000', RATE_LIMIT_BURST: '2000', HEARTBEAT_MS: '300', INSTANCE_TTL_MS: '1500' };
    [a, b, c] = await fixture.startMany(3, common);
  });

  it("delivers from a sender on A to the recipient's connections on B and on A", async () => {
    const { name: bobName, client: bobOnB } = await fixture.user(b, 'bob');
    const bobOnA = await fixture.session(a, bobName);
    const { client: alice } = await fixture.user(a, 'alice');
    const ack = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'across' });
    expect(ack).toMatchObject({ success: true, delivered: true });
    for (const bob of [bobOnB, bobOnA]) expect((await bob.next((f) => f.messageId === ack.messageId)).content).toBe('across');
    bobOnA.close();
    const onlyRemote = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'remote only' });
    expect(onlyRemote.delivered).toBe(true);
    expect((await bobOnB.next((f) => f.messageId === onlyRemote.messageId)).content).toBe('remote only');
    for (const client of [bobOnB, alice]) client.close();
  });

  it("loses no acknowledged message when the recipient's instance is killed mid-stream", async () => {
    const { name: bobName, client: bob } = await fixture.user(b, 'bob');
    const received = new Set<string>();
    const ackLive = setInterval(() => {
      const ids = bob.received
        .filter((f) => f.messageType === MessageType.ChatResponse && f.content !== null)
        .map((f) => f.messageId as string);
      for (const id of ids) received.add(id);
      if (ids.length > 0 && bob.isOpen) bob.send({ messageType: MessageType.Ack, messageIds: ids.slice(-500) });
    }, 20);
    const { client: alice } = await fixture.user(a, 'alice');
    const acked: string[] = [];
    const refused: Frame[] = [];
    const sending = (async () => {
      for (let i = 0; i < 300; i++) {
        const response = await alice.request({
          messageType: MessageType.ChatRequest,
          to: bobName,
          content: `m${i}`,
          clientMessageId: `k${i}`,
        });
        if (response.success) acked.push(response.messageId as string);
        else refused.push(response);
        if (i % 10 === 0) await sleep(5);
      }
    })();
    await sleep(400);
    await b.kill('SIGKILL');
    await sending;
    clearInterval(ackLive);
    for (const f of bob.received) if (f.messageType === MessageType.ChatResponse && f.content !== null) received.add(f.messageId as string);
    expect(refused).toEqual([]);
    expect(acked).toHaveLength(300);
    expect(received.size).toBeGreaterThan(0);
    expect(received.size).toBeLessThan(300);

    const again = await fixture.session(c, bobName);
    const missing = () => acked.filter((id) => !received.has(id));
    const deadline = Date.now() + 20000;
    while (missing().length > 0 && Date.now() < deadline) {
      for (const f of again.received)
        if (f.messageType === MessageType.ChatResponse && f.content !== null) received.add(f.messageId as string);
      await sleep(50);
    }
    expect(missing()).toEqual([]);
    const all = [...bob.received, ...again.received].filter((f) => f.messageType === MessageType.ChatResponse && f.content !== null);
    const unique = new Map(all.map((f) => [f.messageId as string, f.content]));
    expect(unique.size).toBe(300);
    expect([...unique.values()].sort()).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`).sort());
    alice.close();
    again.close();
  });
});
