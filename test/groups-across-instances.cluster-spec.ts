import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame, loggedIn, uniqueName } from './helpers/ws-client';

/** After a failure: the end of what each instance logged. */
function printLogs(instances: Instance[]): void {
  instances.forEach((instance, i) => console.log(`instance ${'abc'[i]} (${instance.port}):\n${instance.logs.slice(-6000)}`));
}

describe('groups across instances', () => {
  const fixture = useFixture({ mode: 'cluster', settings: { RATE_LIMIT_PER_SEC: '2000', RATE_LIMIT_BURST: '2000' } });
  let instances: Instance[];

  beforeAll(async () => {
    instances = await fixture.startMany(3);
  });

  it(
    'delivers each message once to every connection of every member, in order, across three instances; ' +
      'offline members get it at login',
    async () => {
      const [a, b, c] = instances;
      const names = { alice: uniqueName('alice'), bob: uniqueName('bob'), carol: uniqueName('carol'), dave: uniqueName('dave') };
      const alice = fixture.track(await loggedIn(a.wsUrl, names.alice));
      const bobOnB = fixture.track(await loggedIn(b.wsUrl, names.bob));
      const bobOnC = fixture.track(await loggedIn(c.wsUrl, names.bob, 'secret-pass', false));
      const carol = fixture.track(await loggedIn(c.wsUrl, names.carol));
      const daveSetup = await fixture.connect(a);
      await daveSetup.register(names.dave, 'secret-pass');
      daveSetup.close();
      const group = uniqueName('tri');
      const created = await alice.request({
        messageType: MessageType.GroupCreateRequest,
        groupName: group,
        members: [names.bob, names.carol, names.dave],
      });
      expect(created.success).toBe(true);
      for (const client of [bobOnB, bobOnC, carol])
        expect((await client.next((f) => f.messageType === MessageType.GroupCreateResponse)).groupName).toBe(group);

      const senders = [alice, bobOnB, carol];
      const sequences: number[] = [];
      for (let i = 0; i < 60; i++)
        sequences.push(senders[i % 3].send({ messageType: MessageType.GroupChatRequest, groupName: group, content: `t${i}` }));
      // Every send was acknowledged (the sender's own copy) and none refused: a refusal would look like a loss below.
      const senderNames = [names.alice, names.bob, names.carol];
      const acks = await Promise.all(
        sequences.map((sequenceId, i) =>
          senders[i % 3].next(
            (f) =>
              f.sequenceId === sequenceId &&
              (f.messageType === MessageType.Error || (f.messageType === MessageType.GroupChatResponse && f.from === senderNames[i % 3])),
            20000,
            `ack of t${i}`,
          ),
        ),
      ).catch((error: unknown) => {
        printLogs(instances);
        for (const [label, client] of [
          ['alice@a', alice],
          ['bob@b', bobOnB],
          ['carol@c', carol],
        ] as const) {
          console.log(
            `${label} received: ${client.received
              .filter((f) => f.messageType === MessageType.GroupChatResponse || f.messageType === MessageType.Error)
              .map((f) => `${String(f.content ?? f.reason)}#${String(f.sequenceId)}`)
              .join(' ')}`,
          );
        }
        throw error;
      });
      expect(acks.filter((ack) => ack.success !== true).map((ack) => `${ack.messageType}: ${String(ack.reason)}`)).toEqual([]);
      const everyone = [alice, bobOnB, bobOnC, carol];
      const isCopy = (f: Frame) =>
        f.messageType === MessageType.GroupChatResponse && typeof f.content === 'string' && (f.content as string).startsWith('t');
      let copies: Frame[][];
      try {
        copies = await Promise.all(everyone.map((client) => client.collect(isCopy, 60, 20000)));
      } catch (error) {
        // Who missed what, and what the instances logged meanwhile.
        for (const [label, client] of [
          ['alice@a', alice],
          ['bob@b', bobOnB],
          ['bob@c', bobOnC],
          ['carol@c', carol],
        ] as const) {
          const got = client.received.filter(isCopy).map((f) => f.content as string);
          const missing = Array.from({ length: 60 }, (_, i) => `t${i}`).filter((c) => !got.includes(c));
          console.log(`${label}: ${got.length} of 60; missing ${missing.join(',')}`);
        }
        printLogs(instances);
        throw error;
      }
      for (const received of copies) {
        const ids = received.map((f) => f.messageId as string);
        expect(new Set(ids).size).toBe(60);
        const sorted = [...ids].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
        expect(ids).toEqual(sorted);
      }
      const reference = copies[0].map((f) => f.messageId);
      for (const received of copies) expect(received.map((f) => f.messageId)).toEqual(reference);
      // Each sender's own messages keep the order it sent them in.
      for (let s = 0; s < 3; s++) {
        const own = copies[0].filter((f) => f.from === [names.alice, names.bob, names.carol][s]).map((f) => f.content);
        expect(own).toEqual(Array.from({ length: 20 }, (_, k) => `t${s + 3 * k}`));
      }

      const dave = fixture.track(await loggedIn(b.wsUrl, names.dave, 'secret-pass', false));
      const offline = await dave.collect((f) => f.messageType === MessageType.GroupChatResponse && f.offline === true, 60, 20000);
      expect(offline.map((f: Frame) => f.messageId)).toEqual(reference);
    },
  );

  it('two instances racing to create the same group name: exactly one succeeds', async () => {
    const [a, b] = instances;
    for (let round = 0; round < 5; round++) {
      const { client: one } = await fixture.user(a, 'racer');
      const { client: two } = await fixture.user(b, 'racer');
      const group = uniqueName('race');
      const results = await Promise.all([
        one.request({ messageType: MessageType.GroupCreateRequest, groupName: group }),
        two.request({ messageType: MessageType.GroupCreateRequest, groupName: group }),
      ]);
      expect(results.filter((r) => r.success === true)).toHaveLength(1);
      expect(results.find((r) => r.success === false)).toMatchObject({ reason: 'Group name is already taken' });
    }
  });
});
