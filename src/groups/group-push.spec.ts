import { ValidationFailedException } from '../common/error-mapping';
import { MessageType } from '../protocol';
import { groupChatPushes, groupCreatePushes } from './group-push';

describe('group push bodies', () => {
  it('turns a map of username → message into GroupChatResponse frames, keeping only protocol fields', () => {
    const pushes = groupChatPushes({ bob: { from: 'alice', groupName: 'g', content: 'hi', sequenceId: 4, evil: '<x>' } });
    const frame = JSON.parse(pushes.get('bob')!);
    expect(frame).toMatchObject({
      messageType: MessageType.GroupChatResponse,
      sequenceId: 4,
      success: true,
      reason: null,
      from: 'alice',
      groupName: 'g',
      content: 'hi',
      offline: false,
    });
    expect(frame.evil).toBeUndefined();
  });

  it('refuses bodies of the wrong shape naming the field', () => {
    expect(() => groupChatPushes([])).toThrow(ValidationFailedException);
    expect(() => groupChatPushes({ bob: 'x' })).toThrow(/body\["bob"\] must be/);
    expect(() => groupChatPushes({ bob: { from: 'a', groupName: 'g' } })).toThrow(/content/);
    expect(() => groupChatPushes({ bob: { from: 'a', groupName: 'g', content: 'x', sequenceId: 'one' } })).toThrow(/sequenceId/);
  });

  it('addresses each GroupCreateResponse to the user named first in members', () => {
    const [push] = groupCreatePushes([{ members: ['bob', 'alice'], groupName: 'g', reason: 'You have been added to group "g"' }]);
    expect(push.username).toBe('bob');
    expect(JSON.parse(push.frame)).toMatchObject({
      messageType: MessageType.GroupCreateResponse,
      sequenceId: 0,
      success: true,
      groupName: 'g',
      members: ['bob', 'alice'],
    });
    expect(() => groupCreatePushes({})).toThrow(ValidationFailedException);
    expect(() => groupCreatePushes([{ members: [] }])).toThrow(/members/);
  });
});
