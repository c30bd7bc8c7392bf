import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame } from './helpers/ws-client';

const isTyping = (f: Frame) => f.messageType === MessageType.Typing;

describe('typing across instances', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2);
  });

  it('reaches the peer and the group members on the other instance', async () => {
    const { name: alice, client: sender } = await fixture.user(a, 'xta');
    const { name: bob, client: peer } = await fixture.user(b, 'xtb');
    sender.send({ messageType: MessageType.TypingRequest, to: bob });
    expect(await peer.next(isTyping)).toMatchObject({ from: alice, to: bob, sequenceId: 0 });
    const groupName = `xtyping-${Date.now()}`;
    expect((await sender.request({ messageType: MessageType.GroupCreateRequest, groupName, members: [bob] })).success).toBe(true);
    sender.send({ messageType: MessageType.TypingRequest, groupName });
    expect(await peer.next((f) => isTyping(f) && f.groupName === groupName)).toMatchObject({ from: alice, groupName });
  });
});
