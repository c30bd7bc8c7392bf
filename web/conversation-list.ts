import type { PresenceEntry } from '@chat-server/client';
import type { Conversation } from './chat-store';
import { byId, formatTime, h } from './dom';

/** What a presence dot says: online, offline (since when), or not known yet. */
export function presenceLabel(entry: PresenceEntry | undefined): string {
  if (!entry) return 'presence unknown';
  if (entry.online) return 'online';
  return entry.lastSeen ? `offline, last seen ${formatTime(entry.lastSeen)}` : 'offline';
}

/** The dot beside a person: green online, grey offline, hollow while not known. */
export function presenceDot(entry: PresenceEntry | undefined, testId = 'presence-dot'): HTMLSpanElement {
  const state = entry === undefined ? 'unknown' : entry.online ? 'online' : 'offline';
  const label = presenceLabel(entry);
  return h('span', {
    className: `presence-dot ${state}`,
    testId,
    role: 'img',
    ariaLabel: label,
    title: label,
    dataset: { presence: state },
  });
}

/** The sidebar's list of conversations, most recent first, with their unread counts; the page title counts them too. */
export class ConversationList {
  private readonly list = byId('conversation-list');

  constructor(private readonly open: (key: string) => void) {}

  render(conversations: Iterable<Conversation>, active: string | undefined, presence: ReadonlyMap<string, PresenceEntry>): void {
    const list = [...conversations].sort((a, b) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name));
    const items = list.map((conversation) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            className: `conversation-item${conversation.key === active ? ' active' : ''}`,
            testId: 'conversation-item',
            dataset: { conversation: conversation.key, kind: conversation.kind },
            title: conversation.kind === 'group' ? `Group ${conversation.name}` : `Chat with ${conversation.name}`,
            onClick: () => this.open(conversation.key),
          },
          conversation.kind === 'group' ? h('span', { className: 'kind group', text: '#' }) : presenceDot(presence.get(conversation.name)),
          h('span', { className: 'name', testId: 'conversation-name', text: conversation.name }),
          h('span', {
            className: 'unread',
            testId: 'unread-count',
            text: String(conversation.unread),
            hidden: conversation.unread === 0,
            ariaLabel: `${conversation.unread} unread`,
          }),
        ),
      ),
    );
    if (items.length === 0) items.push(h('li', { className: 'empty', text: 'No conversations yet' }));
    this.list.replaceChildren(...items);
    const unread = list.reduce((sum, conversation) => sum + conversation.unread, 0);
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
  }
}
