import type { ConversationSummary } from '@chat-server/client';
import type { StoredMessage } from './chat-store';
import { Conversations } from './conversations';

const time = '2026-12-03T09:00:00.000Z';

function message(id: string, from: string, content = `text ${id}`): StoredMessage {
  return { id, from, content, time };
}

/** Alice's conversations (there is no localStorage here: nothing is kept across instances). */
function alices(): Conversations {
  const conversations = new Conversations();
  conversations.load('alice');
  return conversations;
}

describe('Conversations: edits and recalls', () => {
  it('applies an edit, then a recall, to a loaded message; a recall is final', () => {
    const conversations = alices();
    const { key } = conversations.ensure('user', 'bob');
    conversations.merge(key, [message('1', 'bob'), message('2', 'alice')]);

    expect(
      conversations.applyChange(key, { messageId: '1', content: 'fixed', recalled: false, editedAt: '2026-12-03T09:01:00.000Z' }),
    ).toBe(true);
    expect(conversations.messagesOf(key)[0]).toMatchObject({ content: 'fixed', editedAt: '2026-12-03T09:01:00.000Z' });
    // An older edit arriving late changes nothing.
    expect(
      conversations.applyChange(key, { messageId: '1', content: 'older', recalled: false, editedAt: '2026-12-03T09:00:30.000Z' }),
    ).toBe(false);
    expect(conversations.applyChange(key, { messageId: '1', recalled: true, editedAt: '2026-12-03T09:02:00.000Z' })).toBe(true);
    expect(conversations.messagesOf(key)[0]).toMatchObject({ id: '1', content: '', recalled: true });
    expect(conversations.applyChange(key, { messageId: '1', content: 'back', recalled: false, editedAt: '2026-12-03T09:03:00.000Z' })).toBe(
      false,
    );
    expect(conversations.applyChange(key, { messageId: '99', recalled: true, editedAt: time })).toBe(false);
    expect(conversations.applyChange('user:nobody', { messageId: '1', recalled: true, editedAt: time })).toBe(false);
  });

  it('takes the latest state of a known message from history', () => {
    const conversations = alices();
    const { key } = conversations.ensure('user', 'bob');
    conversations.merge(key, [message('1', 'bob'), message('2', 'bob')]);

    const added = conversations.merge(key, [
      { ...message('1', 'bob', 'edited text'), editedAt: '2026-12-03T09:05:00.000Z' },
      { ...message('2', 'bob', ''), recalled: true, editedAt: '2026-12-03T09:06:00.000Z' },
      message('3', 'bob'),
    ]);

    expect(added).toBe(true);
    expect(conversations.messagesOf(key).map(({ id, content, recalled }) => ({ id, content, recalled }))).toEqual([
      { id: '1', content: 'edited text', recalled: undefined },
      { id: '2', content: '', recalled: true },
      { id: '3', content: 'text 3', recalled: undefined },
    ]);
  });
});

describe('Conversations: unread counts and read positions', () => {
  type ChatSummary = Extract<ConversationSummary, { kind: 'chat' }>;
  const summary = (fields: Partial<ChatSummary> & { with: string }): ChatSummary => ({
    kind: 'chat',
    peerReadUpTo: null,
    unread: 0,
    readUpTo: null,
    lastMessage: { kind: 'chat', messageId: '9', from: fields.with, to: 'alice', content: 'last', offline: false, time },
    ...fields,
  });

  it("takes the server's unread count, read positions and last activity, adding conversations not known yet", () => {
    const conversations = alices();
    const carol = conversations.applySummary(summary({ with: 'carol', unread: 3, readUpTo: '6', peerReadUpTo: '8' }));
    expect(carol).toMatchObject({ key: 'user:carol', unread: 3, readUpTo: '6', peerReadUpTo: '8', lastActivity: Date.parse(time) });

    const team = conversations.applySummary({
      kind: 'group',
      groupName: 'team',
      unread: 2,
      readUpTo: null,
      lastMessage: { kind: 'group', messageId: '4', from: 'bob', groupName: 'team', content: 'x', offline: false, time },
    });
    expect(team).toMatchObject({ key: 'group:team', unread: 2 });
  });

  it("counts a message that arrives after the server's count only when the count did not have it", () => {
    const conversations = alices();
    const carol = conversations.applySummary(summary({ with: 'carol', unread: 2 }));
    conversations.countUnread(carol.key, message('9', 'carol'));
    conversations.countUnread(carol.key, message('8', 'carol'));
    expect(carol.unread).toBe(2);
    conversations.countUnread(carol.key, message('10', 'carol'));
    conversations.countUnread(carol.key, message('11', 'alice'));
    expect(carol.unread).toBe(3);
    conversations.open(carol.key);
    conversations.countUnread(carol.key, message('12', 'carol'));
    expect(carol.unread).toBe(0);
  });

  it('never moves a read position back, and counts the open conversation as read', () => {
    const conversations = alices();
    conversations.applySummary(summary({ with: 'carol', unread: 1, readUpTo: '8', peerReadUpTo: '8' }));
    conversations.open('user:carol');
    const carol = conversations.applySummary(summary({ with: 'carol', unread: 4, readUpTo: '5', peerReadUpTo: '2' }));
    expect(carol).toMatchObject({ unread: 0, readUpTo: '8', peerReadUpTo: '8' });
  });

  it("moves the peer's position on their receipt, and ours (with the unread count) on a receipt of our other device", () => {
    const conversations = alices();
    const bob = conversations.ensure('user', 'bob');
    conversations.merge(bob.key, [message('1', 'alice'), message('2', 'bob'), message('3', 'bob'), message('4', 'bob')]);
    bob.unread = 3;

    expect(conversations.receipt(bob.key, 'bob', '1')).toBe(true);
    expect(conversations.receipt(bob.key, 'bob', '1')).toBe(false);
    expect(bob.peerReadUpTo).toBe('1');
    expect(conversations.receipt(bob.key, 'alice', '3')).toBe(true);
    expect(bob).toMatchObject({ readUpTo: '3', unread: 1, peerReadUpTo: '1' });
    expect(conversations.receipt(bob.key, 'alice', '2')).toBe(false);
    expect(bob.readUpTo).toBe('3');
  });

  it('marks read up to the newest message when a message of someone else is after the read position', () => {
    const conversations = alices();
    const { key } = conversations.ensure('user', 'bob');
    expect(conversations.readTarget(key)).toBeUndefined();
    conversations.merge(key, [message('1', 'bob'), message('2', 'alice')]);
    expect(conversations.readTarget(key)).toBe('2');
    conversations.markedRead(key, '2');
    expect(conversations.readTarget(key)).toBeUndefined();
    conversations.merge(key, [message('3', 'alice')]);
    expect(conversations.readTarget(key)).toBeUndefined();
    conversations.merge(key, [message('4', 'bob')]);
    expect(conversations.readTarget(key)).toBe('4');
  });

  it('in a group, as in 1:1, our own messages are nothing to read (a send moves our read position on the server)', () => {
    const conversations = alices();
    const { key } = conversations.ensure('group', 'team');
    conversations.merge(key, [message('1', 'bob')]);
    conversations.markedRead(key, '1');
    conversations.merge(key, [message('2', 'alice')]);
    expect(conversations.readTarget(key)).toBeUndefined();
    conversations.merge(key, [message('3', 'bob')]);
    expect(conversations.readTarget(key)).toBe('3');
  });
});
