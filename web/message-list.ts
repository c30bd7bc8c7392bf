import type { StoredMessage } from './chat-store';
import { byId, formatTime, h, setMessage, show } from './dom';

/** How close to the top (px) a scroll has to come to load older messages. */
export const LOAD_OLDER_MARGIN = 40;

/** What the message list shows: the open conversation's messages, and whether its history is all loaded. */
export interface MessageListView {
  /** The open conversation, if any. */
  key: string | undefined;
  messages: StoredMessage[];
  complete: boolean;
  /** Set while older messages load: the history line then says so. */
  loadingOlder: boolean;
  me: string | undefined;
}

/** The messages of the open conversation, the Load older button and the line about its history. */
export class MessageList {
  readonly scroller = byId('message-scroller');
  readonly loadOlder = byId<HTMLButtonElement>('load-older');
  private readonly historyState = byId('history-state');
  private readonly list = byId('message-list');

  render(view: MessageListView, stickToBottom = false): void {
    const scroller = this.scroller;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < LOAD_OLDER_MARGIN;
    const { key, messages: list, complete } = view;
    this.list.replaceChildren(...list.map((message) => messageItem(message, view.me)));
    show(this.loadOlder, key !== undefined && !complete);
    if (!view.loadingOlder) {
      setMessage(
        this.historyState,
        key === undefined ? undefined : complete ? (list.length ? 'Start of the conversation' : 'No messages yet') : undefined,
      );
    }
    if (stickToBottom && atBottom) this.scrollToBottom();
  }

  setHistoryState(text: string | undefined, kind: 'info' | 'error' = 'info'): void {
    setMessage(this.historyState, text, kind);
  }

  scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}

function messageItem(message: StoredMessage, me: string | undefined): HTMLLIElement {
  const mine = message.from === me;
  return h(
    'li',
    {
      className: ['message', mine ? 'mine' : 'theirs', message.state ?? ''].join(' ').trim(),
      testId: 'message',
      dataset: { messageId: message.id, from: message.from },
    },
    h(
      'div',
      { className: 'meta' },
      h('span', { className: 'from', testId: 'message-from', text: message.from }),
      h('time', { className: 'time', text: formatTime(message.time) }),
    ),
    h('div', { className: 'content', testId: 'message-content', text: message.content }),
    message.state === 'sending' ? h('span', { className: 'delivery', text: 'sending…' }) : null,
    message.state === 'failed'
      ? h('span', { className: 'delivery failed', testId: 'message-error', text: `not sent: ${message.reason ?? ''}` })
      : null,
  );
}
