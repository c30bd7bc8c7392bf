import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame } from './helpers/ws-client';

const isReceipt = (frame: Frame) => frame.messageType === MessageType.ReadReceipt;

/** Read receipts and the list of conversations when the reader, the peer and the reader's other session are on different instances. */
describe('reads across instances', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2);
  });

  it('a read on A reaches the peer on B and the reader’s session on B; the positions are the same on both', async () => {
    const reader = await fixture.user(a, 'xra');
    const peer = await fixture.user(b, 'xrb');
    const readerOnB = await fixture.session(b, reader.name);
    const earlier = await peer.client.request({ messageType: MessageType.ChatRequest, to: reader.name, content: 'first' });
    const sent = await peer.client.request({ messageType: MessageType.ChatRequest, to: reader.name, content: 'read me' });
    expect(sent.success).toBe(true);
    const response = await reader.client.request({ messageType: MessageType.ReadRequest, with: peer.name, messageId: sent.messageId });
    expect(response).toMatchObject({ success: true, with: peer.name, messageId: sent.messageId });
    expect(await peer.client.next(isReceipt)).toMatchObject({ from: reader.name, with: reader.name, messageId: sent.messageId });
    expect(await readerOnB.next(isReceipt)).toMatchObject({ from: reader.name, with: peer.name, messageId: sent.messageId });

    const onB = await peer.client.request({ messageType: MessageType.ConversationsRequest });
    expect(onB.conversations).toEqual([expect.objectContaining({ with: reader.name, peerReadUpTo: sent.messageId, unread: 0 })]);
    const readerList = await readerOnB.request({ messageType: MessageType.ConversationsRequest });
    expect(readerList.conversations).toEqual([expect.objectContaining({ with: peer.name, readUpTo: sent.messageId, unread: 0 })]);
    // An older id on B leaves the position read on A.
    const older = await readerOnB.request({ messageType: MessageType.ReadRequest, with: peer.name, messageId: earlier.messageId });
    expect(older).toMatchObject({ success: true, messageId: sent.messageId });
  });

  it('a group read on A reaches the members on B', async () => {
    const reader = await fixture.user(a, 'xga');
    const member = await fixture.user(b, 'xgb');
    const team = `xg-${Date.now() % 1e9}`;
    expect(
      (await member.client.request({ messageType: MessageType.GroupCreateRequest, groupName: team, members: [reader.name] })).success,
    ).toBe(true);
    const sent = await member.client.request({ messageType: MessageType.GroupChatRequest, groupName: team, content: 'team news' });
    const response = await reader.client.request({ messageType: MessageType.ReadRequest, groupName: team, messageId: sent.messageId });
    expect(response).toMatchObject({ success: true, groupName: team, messageId: sent.messageId });
    expect(await member.client.next(isReceipt)).toMatchObject({
      from: reader.name,
      groupName: team,
      messageId: sent.messageId,
      reads: [{ from: reader.name, messageId: sent.messageId }],
    });
  });
});
