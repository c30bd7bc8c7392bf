import type { Conversation } from './chat-store';
import { byId, h } from './dom';

/** The sidebar's list of conversations, most recent first, with their unread counts; the page title counts them too. */
export class ConversationList {
  private readonly list = byId('conversation-list');

  constructor(private readonly open: (key: string) => void) {}

  render(conversations: Iterable<Conversation>, active: string | undefined): void {
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
          h('span', { className: `kind ${conversation.kind}`, text: conversation.kind === 'group' ? '#' : '@' }),
          h('span', { className: 'name', testId: 'conversation-name', text: conversation.name }),
          h('span', { className: 'unread', testId: 'unread-count', text: String(conversation.unread), hidden: conversation.unread === 0 }),
        ),
      ),
    );
    if (items.length === 0) items.push(h('li', { className: 'empty', text: 'No conversations yet' }));
    this.list.replaceChildren(...items);
    const unread = list.reduce((sum, conversation) => sum + conversation.unread, 0);
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
  }
}
