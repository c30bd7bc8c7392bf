import type { StoredMessage, TickStatus } from './chat-store';
import { canChange, changeableUntil, tickStatus } from './chat-store';
import { byId, formatTime, h, setMessage, show } from './dom';

/** How close to the top (px) a scroll has to come to load older messages. */
export const LOAD_OLDER_MARGIN = 40;

const TICKS: Record<Exclude<TickStatus, 'sending' | 'failed'>, { text: string; label: string }> = {
  sent: { text: '✓', label: 'sent' },
  delivered: { text: '✓✓', label: 'delivered' },
  read: { text: '✓✓', label: 'read' },
};

/** What the message list shows: the open conversation's messages, and whether its history is all loaded. */
export interface MessageListView {
  /** The open conversation, if any. */
  key: string | undefined;
  messages: StoredMessage[];
  complete: boolean;
  /** Set while older messages load: the history line then says so. */
  loadingOlder: boolean;
  me: string | undefined;
  /** How far the others read: our messages up to it show as read. */
  peerReadUpTo?: string;
  /** The message being edited in the composer, if any. */
  editing?: string;
  /** Epoch ms, to tell which messages may still be edited or recalled. */
  now: number;
}

/** What the Edit and Recall buttons of one's own messages do. */
export interface MessageActions {
  edit(message: StoredMessage): void;
  recall(message: StoredMessage): void;
}

/** The messages of the open conversation, the Load older button and the line about its history. */
export class MessageList {
  readonly scroller = byId('message-scroller');
  readonly loadOlder = byId<HTMLButtonElement>('load-older');
  private readonly historyState = byId('history-state');
  private readonly list = byId('message-list');

  constructor(private readonly actions: MessageActions) {}

  /** Renders the view; returns when (epoch ms) the first Edit and Recall buttons shown are due to go, if any. */
  render(view: MessageListView, stickToBottom = false): number | undefined {
    const scroller = this.scroller;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < LOAD_OLDER_MARGIN;
    const { key, messages: list, complete } = view;
    this.list.replaceChildren(...list.map((message) => this.messageItem(message, view)));
    show(this.loadOlder, key !== undefined && !complete);
    if (!view.loadingOlder) {
      setMessage(
        this.historyState,
        key === undefined ? undefined : complete ? (list.length ? 'Start of the conversation' : 'No messages yet') : undefined,
      );
    }
    if (stickToBottom && atBottom) this.scrollToBottom();
    const expiries = list
      .filter((message) => canChange(message, view.me, view.now))
      .map((message) => changeableUntil(message, view.me) ?? Infinity);
    return expiries.length ? Math.min(...expiries) : undefined;
  }

  setHistoryState(text: string | undefined, kind: 'info' | 'error' = 'info'): void {
    setMessage(this.historyState, text, kind);
  }

  scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  private messageItem(message: StoredMessage, view: MessageListView): HTMLLIElement {
    const mine = message.from === view.me;
    const status = tickStatus(message, view.me, view.peerReadUpTo);
    const classes = ['message', mine ? 'mine' : 'theirs', message.state ?? '', message.recalled ? 'recalled' : ''];
    if (view.editing === message.id) classes.push('editing');
    return h(
      'li',
      {
        className: classes.filter(Boolean).join(' '),
        testId: 'message',
        dataset: { messageId: message.id, from: message.from },
      },
      h(
        'div',
        { className: 'meta' },
        h('span', { className: 'from', testId: 'message-from', text: message.from }),
        h('time', { className: 'time', text: formatTime(message.time) }),
        message.editedAt && !message.recalled ? h('span', { className: 'edited', testId: 'message-edited', text: '(edited)' }) : null,
      ),
      message.recalled
        ? h('div', { className: 'content recalled', testId: 'message-recalled', text: 'message recalled' })
        : h('div', { className: 'content', testId: 'message-content', text: message.content }),
      h(
        'div',
        { className: 'footer' },
        canChange(message, view.me, view.now) ? this.changeButtons(message) : null,
        status === 'sending' ? h('span', { className: 'delivery', text: 'sending…' }) : null,
        status === 'failed'
          ? h('span', { className: 'delivery failed', testId: 'message-error', text: `not sent: ${message.reason ?? ''}` })
          : null,
        status && status !== 'sending' && status !== 'failed'
          ? h('span', {
              className: `ticks ${status}`,
              testId: 'message-ticks',
              role: 'img',
              ariaLabel: TICKS[status].label,
              title: TICKS[status].label,
              text: TICKS[status].text,
              dataset: { status },
            })
          : null,
      ),
    );
  }

  private changeButtons(message: StoredMessage): HTMLElement {
    return h(
      'span',
      { className: 'message-actions' },
      h('button', {
        type: 'button',
        className: 'link',
        testId: 'message-edit',
        ariaLabel: 'Edit message',
        text: 'Edit',
        onClick: () => this.actions.edit(message),
      }),
      h('button', {
        type: 'button',
        className: 'link',
        testId: 'message-recall',
        ariaLabel: 'Recall message',
        text: 'Recall',
        onClick: () => this.actions.recall(message),
      }),
    );
  }
}
