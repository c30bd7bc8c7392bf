import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame } from './helpers/ws-client';

const isChanged = (messageId: string) => (f: Frame) => f.messageType === MessageType.MessageChanged && f.messageId === messageId;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Edit and recall with the sender on one instance and the recipient on another (docs/protocol.md §3, §4.5). */
describe('edit and recall across instances', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2);
  });

  it('an edit on A reaches the recipient and the members on B; a recall reaches the sender’s session on B', async () => {
    const alice = await fixture.user(a, 'xea');
    const aliceOnB = await fixture.session(b, alice.name);
    const bob = await fixture.user(b, 'xeb');
    const sent = await alice.client.request({ messageType: MessageType.ChatRequest, to: bob.name, content: 'hallo' });
    const id = sent.messageId as string;
    await bob.client.next((f) => f.messageType === MessageType.ChatResponse && f.messageId === id);
    const edited = await alice.client.request({ messageType: MessageType.EditRequest, messageId: id, content: 'hello' });
    expect(edited.success).toBe(true);
    expect(await bob.client.next(isChanged(id))).toMatchObject({ content: 'hello', from: alice.name, to: bob.name });
    expect(await aliceOnB.next(isChanged(id))).toMatchObject({ content: 'hello' });

    const groupName = `xg${Date.now().toString(36)}`;
    expect((await alice.client.request({ messageType: MessageType.GroupCreateRequest, groupName, members: [bob.name] })).success).toBe(
      true,
    );
    const posted = await aliceOnB.request({ messageType: MessageType.GroupChatRequest, groupName, content: 'to all' });
    const groupId = posted.messageId as string;
    await bob.client.next((f) => f.messageType === MessageType.GroupChatResponse && f.messageId === groupId);
    expect((await alice.client.request({ messageType: MessageType.RecallRequest, messageId: groupId })).success).toBe(true);
    expect(await bob.client.next(isChanged(groupId))).toMatchObject({ groupName, recalled: true });
  });

  it('a recipient who acknowledged on B and went offline learns of an edit made on A at the next login on B', async () => {
    const alice = await fixture.user(a, 'xoa');
    const bob = await fixture.user(b, 'xob');
    const sent = await alice.client.request({ messageType: MessageType.ChatRequest, to: bob.name, content: 'first' });
    const id = sent.messageId as string;
    await bob.client.next((f) => f.messageType === MessageType.ChatResponse && f.messageId === id);
    bob.client.send({ messageType: MessageType.Ack, messageIds: [id] });
    await pause(300);
    bob.client.close();
    await bob.client.closed;
    await pause(300);
    const edited = await alice.client.request({ messageType: MessageType.EditRequest, messageId: id, content: 'first, edited' });
    expect(edited.success).toBe(true);
    const back = await fixture.session(b, bob.name);
    expect(await back.next(isChanged(id))).toMatchObject({ content: 'first, edited', editedAt: edited.editedAt });
  });
});
