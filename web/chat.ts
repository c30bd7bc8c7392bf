import { ChatClient, ChatMessage, ClientState, RequestError, newClientMessageId } from '@chat-server/client';
import { FINAL_CLOSE_CODES } from '../src/protocol';
import {
  ChatStore,
  Conversation,
  ConversationKind,
  StoredMessage,
  clearSession,
  compareMessages,
  conversationKey,
  isServerId,
  loadSession,
  saveSession,
} from './chat-store';
import { byId, errorText, formatTime, h, setMessage, show } from './dom';

const HISTORY_PAGE = 30;
/** How close to the top (px) a scroll has to come to load older messages. */
const LOAD_OLDER_MARGIN = 40;
const BANNER_MS = 8000;
const TOKEN_REFUSED = 'token resume refused: ';

const STATE_LABELS: Record<ClientState, string> = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  moved: 'moved to another instance',
  closed: 'offline',
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The WebSocket of the origin that served the page, so it works behind a load balancer too. */
function sameOriginUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

function reasonOf(error: unknown): string {
  return error instanceof RequestError ? error.reason : errorText(error);
}

function toStored(message: ChatMessage): StoredMessage {
  return { id: message.messageId, from: message.from, content: message.content, time: message.time };
}

function historyQuery(conversation: Conversation): { with?: string; groupName?: string } {
  return conversation.kind === 'group' ? { groupName: conversation.name } : { with: conversation.name };
}

class ChatPage {
  private readonly ui = {
    state: byId('connection-state'),
    currentUser: byId('current-user'),
    logout: byId<HTMLButtonElement>('logout'),
    logoutEverywhere: byId<HTMLButtonElement>('logout-everywhere'),
    passwordForm: byId<HTMLFormElement>('password-form'),
    oldPassword: byId<HTMLInputElement>('old-password'),
    newPassword: byId<HTMLInputElement>('new-password'),
    banner: byId('banner'),
    authView: byId('auth-view'),
    authForm: byId<HTMLFormElement>('auth-form'),
    username: byId<HTMLInputElement>('auth-username'),
    password: byId<HTMLInputElement>('auth-password'),
    login: byId<HTMLButtonElement>('auth-login'),
    register: byId<HTMLButtonElement>('auth-register'),
    authMessage: byId('auth-message'),
    signedOut: byId('signed-out'),
    chatView: byId('chat-view'),
    newChatForm: byId<HTMLFormElement>('new-chat-form'),
    newChatName: byId<HTMLInputElement>('new-chat-name'),
    groupForm: byId<HTMLFormElement>('group-form'),
    groupName: byId<HTMLInputElement>('group-name'),
    groupMembers: byId<HTMLInputElement>('group-members'),
    groupJoin: byId<HTMLButtonElement>('group-join'),
    conversationList: byId('conversation-list'),
    title: byId('conversation-title'),
    membersButton: byId<HTMLButtonElement>('group-members-button'),
    quitButton: byId<HTMLButtonElement>('group-quit'),
    membersList: byId('group-members-list'),
    scroller: byId('message-scroller'),
    loadOlder: byId<HTMLButtonElement>('load-older'),
    historyState: byId('history-state'),
    messageList: byId('message-list'),
    composer: byId<HTMLFormElement>('composer'),
    composerInput: byId<HTMLTextAreaElement>('composer-input'),
    composerSend: byId<HTMLButtonElement>('composer-send'),
  };

  private client: ChatClient | undefined;
  private connecting: Promise<ChatClient> | undefined;
  /** Set while a user is signed in on this page. */
  private me: string | undefined;
  private store: ChatStore | undefined;
  private readonly conversations = new Map<string, Conversation>();
  /** Messages per conversation, oldest first: the stored ones, then what history and deliveries add. */
  private readonly messages = new Map<string, StoredMessage[]>();
  /** Conversations whose history is loaded back to the first message. */
  private readonly complete = new Set<string>();
  private active: string | undefined;
  private loadingOlder = false;
  private lastNotice: string | undefined;
  private bannerTimer: ReturnType<typeof setTimeout> | undefined;

  start(): void {
    this.ui.authForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.signIn(false);
    });
    this.ui.register.addEventListener('click', () => void this.signIn(true));
    this.ui.logout.addEventListener('click', () => void this.logout(false));
    this.ui.logoutEverywhere.addEventListener('click', () => void this.logout(true));
    this.ui.passwordForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.changePassword();
    });
    this.ui.newChatForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.startChat();
    });
    this.ui.groupForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.createGroup();
    });
    this.ui.groupJoin.addEventListener('click', () => void this.joinGroup());
    this.ui.membersButton.addEventListener('click', () => void this.showMembers());
    this.ui.quitButton.addEventListener('click', () => void this.quitGroup());
    this.ui.loadOlder.addEventListener('click', () => void this.loadOlder());
    this.ui.scroller.addEventListener('scroll', () => {
      if (this.ui.scroller.scrollTop < LOAD_OLDER_MARGIN) void this.loadOlder();
    });
    this.ui.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.ui.composerInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });

    const session = loadSession();
    if (session) {
      this.enterChat(session.username);
      void this.resume(session.token);
    } else {
      this.showAuth();
      void this.connection();
    }
  }

  // ---- connection and session ----

  /** The client of this page, connected (after as many attempts as it takes). */
  private connection(): Promise<ChatClient> {
    if (!this.connecting) {
      const connecting = this.connectWithRetry();
      this.connecting = connecting;
      connecting.catch(() => {
        if (this.connecting === connecting) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async connectWithRetry(): Promise<ChatClient> {
    for (let attempt = 0; ; attempt++) {
      const client = this.newClient();
      try {
        await client.connect(sameOriginUrl());
        return client;
      } catch (error) {
        if (this.client !== client) throw error;
        this.setState('reconnecting');
        await sleep(Math.min(5000, 500 * 2 ** attempt));
        if (this.client !== client) throw error;
      }
    }
  }

  private newClient(): ChatClient {
    // Rebalancing names an instance by its own address, which may be unreachable behind a load
    // balancer: every other reconnect attempt goes back through the page's origin.
    const client = new ChatClient({ resolveUrl: (lost, attempt) => (attempt % 2 === 0 ? sameOriginUrl() : lost) });
    this.client = client;
    const mine = () => this.client === client;
    client.on('state', (state) => mine() && this.onState(client, state));
    client.on('message', (message) => mine() && this.onMessage(message));
    client.on('groupAdded', ({ groupName, reason }) => {
      if (!mine() || !this.me) return;
      this.ensureConversation('group', groupName);
      this.saveConversations();
      this.renderConversations();
      this.notify(reason ?? `You have been added to group ${groupName}`);
    });
    client.on('notice', ({ reason }) => {
      if (mine()) this.lastNotice = reason;
    });
    client.on('moved', ({ host }) => mine() && this.notify(`Moving to instance ${host}`));
    client.on('closed', ({ code, reason }) => {
      if (mine() && FINAL_CLOSE_CODES.has(code)) this.leave(this.lastNotice || reason || `connection closed (${code})`);
    });
    client.on('error', (error) => {
      if (mine() && error instanceof RequestError && error.reason.startsWith(TOKEN_REFUSED) && this.me) {
        this.leave(error.reason.slice(TOKEN_REFUSED.length));
      }
    });
    return client;
  }

  private onState(client: ChatClient, state: ClientState): void {
    this.setState(state);
    // A reconnect logs in again with the token: keep the newest one and catch up on the open conversation.
    if (state === 'connected' && this.me && client.token) {
      saveSession({ username: this.me, token: client.token });
      if (this.active) void this.fetchLatest(this.active);
    }
  }

  private setState(state: ClientState): void {
    this.ui.state.dataset.state = state;
    this.ui.state.textContent = STATE_LABELS[state];
  }

  private async resume(token: string): Promise<void> {
    for (let attempt = 0; this.me; attempt++) {
      try {
        const client = await this.connection();
        if (!this.me) return;
        const result = await client.loginWithToken(token);
        this.afterLogin(client, result.username);
        return;
      } catch (error) {
        // The server refused the token: signed out. A lost or timed-out try is tried again.
        if (error instanceof RequestError && error.refused) {
          this.leave(error.reason);
          return;
        }
        await sleep(Math.min(5000, 500 * 2 ** attempt));
      }
    }
  }

  private async signIn(register: boolean): Promise<void> {
    const username = this.ui.username.value.trim();
    const password = this.ui.password.value;
    if (!username || !password) {
      setMessage(this.ui.authMessage, 'Enter a username and a password', 'error');
      return;
    }
    this.ui.login.disabled = true;
    this.ui.register.disabled = true;
    setMessage(this.ui.authMessage, register ? 'Registering…' : 'Logging in…');
    try {
      const client = await this.connection();
      if (register) await client.register(username, password);
      const result = await client.login(username, password);
      this.ui.password.value = '';
      setMessage(this.ui.authMessage, undefined);
      setMessage(this.ui.signedOut, undefined);
      this.enterChat(result.username);
      this.afterLogin(client, result.username);
    } catch (error) {
      setMessage(this.ui.authMessage, `${register ? 'Register' : 'Log in'} failed: ${reasonOf(error)}`, 'error');
    } finally {
      this.ui.login.disabled = false;
      this.ui.register.disabled = false;
    }
  }

  private afterLogin(client: ChatClient, username: string): void {
    if (client.token) saveSession({ username, token: client.token });
    this.ui.currentUser.textContent = username;
    this.renderConversation();
    if (this.active) void this.fetchLatest(this.active);
  }

  /** Log out: the server revokes the session's token (and with `everywhere` closes the other devices), then the page forgets it. */
  private async logout(everywhere: boolean): Promise<void> {
    const client = this.loggedInClient;
    try {
      await client?.logout(everywhere);
    } catch {
      // Not reachable: the token is forgotten here in any case, and it expires.
    }
    this.leave();
  }

  private async changePassword(): Promise<void> {
    const oldPassword = this.ui.oldPassword.value;
    const newPassword = this.ui.newPassword.value;
    await this.act('Change password', async (client) => {
      const token = await client.changePassword(oldPassword, newPassword);
      if (this.me) saveSession({ username: this.me, token });
      this.ui.oldPassword.value = '';
      this.ui.newPassword.value = '';
      this.notify('Password changed; your other devices were logged out');
    });
  }

  /** Leaves the chat: after Log out, or with the reason the server (or the token) gave. */
  private leave(reason?: string): void {
    const old = this.client;
    this.client = undefined;
    this.connecting = undefined;
    old?.close();
    clearSession();
    this.me = undefined;
    this.store = undefined;
    this.active = undefined;
    this.lastNotice = undefined;
    this.conversations.clear();
    this.messages.clear();
    this.complete.clear();
    this.showAuth();
    setMessage(this.ui.signedOut, reason ? `signed out: ${reason}` : undefined, 'error');
    void this.connection();
  }

  private showAuth(): void {
    show(this.ui.chatView, false);
    show(this.ui.authView, true);
    show(this.ui.logout, false);
    show(this.ui.logoutEverywhere, false);
    this.ui.currentUser.textContent = '';
    document.title = 'Chat';
  }

  private enterChat(username: string): void {
    this.me = username;
    this.store = new ChatStore(username);
    this.conversations.clear();
    for (const conversation of this.store.conversations()) this.conversations.set(conversation.key, conversation);
    this.messages.clear();
    this.complete.clear();
    show(this.ui.authView, false);
    show(this.ui.chatView, true);
    show(this.ui.logout, true);
    show(this.ui.logoutEverywhere, true);
    this.ui.currentUser.textContent = username;
    const active = this.store.activeConversation();
    this.active = active && this.conversations.has(active) ? active : undefined;
    this.renderConversations();
    this.renderConversation();
    this.scrollToBottom();
  }

  private get loggedInClient(): ChatClient | undefined {
    return this.client?.token && this.me ? this.client : undefined;
  }

  // ---- conversations ----

  private ensureConversation(kind: ConversationKind, name: string): Conversation {
    const key = conversationKey(kind, name);
    let conversation = this.conversations.get(key);
    if (!conversation) {
      conversation = { key, kind, name, unread: 0, lastActivity: Date.now() };
      this.conversations.set(key, conversation);
    }
    return conversation;
  }

  private saveConversations(): void {
    this.store?.saveConversations(this.conversations.values());
  }

  private openConversation(key: string): void {
    const conversation = this.conversations.get(key);
    if (!conversation) return;
    this.active = key;
    conversation.unread = 0;
    this.store?.saveActiveConversation(key);
    this.saveConversations();
    this.renderConversations();
    this.renderConversation();
    this.scrollToBottom();
    this.ui.composerInput.focus();
    void this.fetchLatest(key);
  }

  private startChat(): void {
    const name = this.ui.newChatName.value.trim();
    if (!name || !this.me) return;
    if (name === this.me) {
      this.notify('That is you: pick another user', 'error');
      return;
    }
    const conversation = this.ensureConversation('user', name);
    conversation.lastActivity = Date.now();
    this.ui.newChatName.value = '';
    this.openConversation(conversation.key);
  }

  private async createGroup(): Promise<void> {
    const name = this.ui.groupName.value.trim();
    const members = this.ui.groupMembers.value
      .split(/[,\s]+/)
      .map((member) => member.trim())
      .filter((member) => member.length > 0);
    await this.act('Create group', async (client) => {
      const group = await client.createGroup(name, members);
      this.ui.groupName.value = '';
      this.ui.groupMembers.value = '';
      this.openConversation(this.ensureConversation('group', group.groupName).key);
      this.notify(`Created group ${group.groupName} with ${group.members.join(', ')}`);
    });
  }

  private async joinGroup(): Promise<void> {
    const name = this.ui.groupName.value.trim();
    if (!name) {
      this.notify('Enter the name of the group to join', 'error');
      return;
    }
    await this.act('Join group', async (client) => {
      await client.joinGroup(name);
      this.ui.groupName.value = '';
      this.openConversation(this.ensureConversation('group', name).key);
      this.notify(`Joined group ${name}`);
    });
  }

  private async quitGroup(): Promise<void> {
    const conversation = this.active ? this.conversations.get(this.active) : undefined;
    if (conversation?.kind !== 'group') return;
    await this.act('Quit group', async (client) => {
      await client.quitGroup(conversation.name);
      this.conversations.delete(conversation.key);
      this.messages.delete(conversation.key);
      this.store?.forget(conversation.key);
      if (this.active === conversation.key) {
        this.active = undefined;
        this.store?.saveActiveConversation(undefined);
      }
      this.saveConversations();
      this.renderConversations();
      this.renderConversation();
      this.notify(`Left group ${conversation.name}`);
    });
  }

  private async showMembers(): Promise<void> {
    const conversation = this.active ? this.conversations.get(this.active) : undefined;
    if (conversation?.kind !== 'group') return;
    await this.act('Members', async (client) => {
      const members = await client.groupMembers(conversation.name);
      if (this.active !== conversation.key) return;
      setMessage(this.ui.membersList, `Members (${members.length}): ${members.join(', ')}`);
    });
  }

  /** Runs a request of the signed-in user, reporting its failure in the banner. */
  private async act(what: string, action: (client: ChatClient) => Promise<void>): Promise<void> {
    const client = this.loggedInClient;
    if (!client) {
      this.notify(`${what}: not connected`, 'error');
      return;
    }
    try {
      await action(client);
    } catch (error) {
      this.notify(`${what}: ${reasonOf(error)}`, 'error');
    }
  }

  // ---- messages ----

  private messagesOf(key: string): StoredMessage[] {
    let list = this.messages.get(key);
    if (!list) {
      list = this.store?.messages(key) ?? [];
      this.messages.set(key, list);
    }
    return list;
  }

  /** Adds the messages not known yet (by messageId); true when any was new. */
  private merge(key: string, incoming: StoredMessage[]): boolean {
    const list = this.messagesOf(key);
    const known = new Set(list.map((message) => message.id));
    let added = false;
    for (const message of incoming) {
      if (known.has(message.id)) continue;
      list.push(message);
      known.add(message.id);
      added = true;
    }
    if (added) {
      list.sort(compareMessages);
      this.store?.saveMessages(key, list);
    }
    return added;
  }

  private onMessage(message: ChatMessage): void {
    const me = this.me;
    if (!me) return;
    const conversation =
      message.kind === 'group'
        ? this.ensureConversation('group', message.groupName)
        : this.ensureConversation('user', message.from === me ? message.to : message.from);
    if (!this.merge(conversation.key, [toStored(message)])) return;
    conversation.lastActivity = Date.now();
    if (conversation.key !== this.active) conversation.unread += 1;
    this.saveConversations();
    this.renderConversations();
    if (conversation.key === this.active) this.renderMessages(true);
  }

  private send(): void {
    const key = this.active;
    const conversation = key ? this.conversations.get(key) : undefined;
    const client = this.client;
    const me = this.me;
    const content = this.ui.composerInput.value;
    if (!key || !conversation || !client || !me || content.trim() === '') return;
    this.ui.composerInput.value = '';
    const local: StoredMessage = { id: `local:${newClientMessageId()}`, from: me, content, time: new Date().toISOString(), state: 'sending' };
    const list = this.messagesOf(key);
    list.push(local);
    conversation.lastActivity = Date.now();
    this.saveConversations();
    this.renderConversations();
    this.renderMessages();
    this.scrollToBottom();
    // The SDK keeps the send in its outbox across reconnects, so it may settle much later.
    const sending = conversation.kind === 'group' ? client.sendGroupChat(conversation.name, content) : client.sendChat(conversation.name, content);
    sending.then(
      ({ messageId }) => {
        const current = this.messages.get(key);
        if (current !== list) return;
        list.splice(list.indexOf(local), 1);
        if (!this.merge(key, [{ id: messageId, from: me, content, time: local.time }])) this.store?.saveMessages(key, list);
        if (this.active === key) this.renderMessages(true);
      },
      (error: unknown) => {
        local.state = 'failed';
        local.reason = reasonOf(error);
        if (this.active === key && this.messages.get(key) === list) this.renderMessages(true);
      },
    );
  }

  /** The newest page of the conversation, merged with what the page already had. */
  private async fetchLatest(key: string): Promise<void> {
    const client = this.loggedInClient;
    const conversation = this.conversations.get(key);
    if (!client || !conversation) return;
    try {
      const page = (await client.history({ ...historyQuery(conversation), limit: HISTORY_PAGE })).map(toStored);
      if (this.conversations.get(key) !== conversation) return;
      const newestKnown = this.messagesOf(key).filter((message) => isServerId(message.id)).at(-1);
      if (page.length === HISTORY_PAGE && newestKnown && compareMessages(page[0], newestKnown) > 0) {
        // A full page newer than everything cached may leave a gap: restart from this page.
        const unsent = this.messagesOf(key).filter((message) => !isServerId(message.id));
        this.messages.set(key, [...page, ...unsent]);
        this.store?.saveMessages(key, page);
      } else {
        this.merge(key, page);
      }
      if (page.length < HISTORY_PAGE) this.complete.add(key);
      if (this.active === key) this.renderMessages(true);
    } catch (error) {
      if (this.active === key) setMessage(this.ui.historyState, `History: ${reasonOf(error)}`, 'error');
    }
  }

  /** The page before the oldest message shown, keeping the view where it was. */
  private async loadOlder(): Promise<void> {
    const key = this.active;
    const client = this.loggedInClient;
    const conversation = key ? this.conversations.get(key) : undefined;
    if (!key || !client || !conversation || this.loadingOlder || this.complete.has(key)) return;
    const oldest = this.messagesOf(key).find((message) => isServerId(message.id));
    this.loadingOlder = true;
    setMessage(this.ui.historyState, 'Loading older messages…');
    try {
      const page = await client.history({ ...historyQuery(conversation), beforeId: oldest?.id, limit: HISTORY_PAGE });
      if (page.length < HISTORY_PAGE) this.complete.add(key);
      if (this.active !== key) return;
      const scroller = this.ui.scroller;
      const heightBefore = scroller.scrollHeight;
      const topBefore = scroller.scrollTop;
      this.merge(key, page.map(toStored));
      this.loadingOlder = false;
      this.renderMessages();
      scroller.scrollTop = topBefore + scroller.scrollHeight - heightBefore;
    } catch (error) {
      setMessage(this.ui.historyState, `History: ${reasonOf(error)}`, 'error');
    } finally {
      this.loadingOlder = false;
    }
  }

  // ---- rendering ----

  private renderConversations(): void {
    const list = [...this.conversations.values()].sort((a, b) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name));
    const items = list.map((conversation) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            className: `conversation-item${conversation.key === this.active ? ' active' : ''}`,
            testId: 'conversation-item',
            dataset: { conversation: conversation.key, kind: conversation.kind },
            title: conversation.kind === 'group' ? `Group ${conversation.name}` : `Chat with ${conversation.name}`,
            onClick: () => this.openConversation(conversation.key),
          },
          h('span', { className: `kind ${conversation.kind}`, text: conversation.kind === 'group' ? '#' : '@' }),
          h('span', { className: 'name', testId: 'conversation-name', text: conversation.name }),
          h('span', { className: 'unread', testId: 'unread-count', text: String(conversation.unread), hidden: conversation.unread === 0 }),
        ),
      ),
    );
    if (items.length === 0) items.push(h('li', { className: 'empty', text: 'No conversations yet' }));
    this.ui.conversationList.replaceChildren(...items);
    const unread = list.reduce((sum, conversation) => sum + conversation.unread, 0);
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
  }

  private renderConversation(): void {
    const conversation = this.active ? this.conversations.get(this.active) : undefined;
    const isGroup = conversation?.kind === 'group';
    this.ui.title.textContent = conversation ? `${isGroup ? 'Group' : 'Chat with'} ${conversation.name}` : 'Pick or start a conversation';
    show(this.ui.membersButton, isGroup);
    show(this.ui.quitButton, isGroup);
    setMessage(this.ui.membersList, undefined);
    this.ui.composerInput.disabled = !conversation;
    this.ui.composerSend.disabled = !conversation;
    setMessage(this.ui.historyState, undefined);
    this.renderMessages();
  }

  private renderMessages(stickToBottom = false): void {
    const scroller = this.ui.scroller;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < LOAD_OLDER_MARGIN;
    const key = this.active;
    const list = key ? this.messagesOf(key) : [];
    this.ui.messageList.replaceChildren(...list.map((message) => this.messageItem(message)));
    const complete = key !== undefined && this.complete.has(key);
    show(this.ui.loadOlder, key !== undefined && !complete);
    if (!this.loadingOlder) {
      setMessage(this.ui.historyState, key === undefined ? undefined : complete ? (list.length ? 'Start of the conversation' : 'No messages yet') : undefined);
    }
    if (stickToBottom && atBottom) this.scrollToBottom();
  }

  private messageItem(message: StoredMessage): HTMLLIElement {
    const mine = message.from === this.me;
    return h(
      'li',
      {
        className: ['message', mine ? 'mine' : 'theirs', message.state ?? ''].join(' ').trim(),
        testId: 'message',
        dataset: { messageId: message.id, from: message.from },
      },
      h('div', { className: 'meta' }, h('span', { className: 'from', testId: 'message-from', text: message.from }), h('time', { className: 'time', text: formatTime(message.time) })),
      h('div', { className: 'content', testId: 'message-content', text: message.content }),
      message.state === 'sending' ? h('span', { className: 'delivery', text: 'sending…' }) : null,
      message.state === 'failed' ? h('span', { className: 'delivery failed', testId: 'message-error', text: `not sent: ${message.reason ?? ''}` }) : null,
    );
  }

  private scrollToBottom(): void {
    this.ui.scroller.scrollTop = this.ui.scroller.scrollHeight;
  }

  private notify(text: string, kind: 'info' | 'error' = 'info'): void {
    clearTimeout(this.bannerTimer);
    setMessage(this.ui.banner, text, kind);
    this.bannerTimer = setTimeout(() => setMessage(this.ui.banner, undefined), kind === 'error' ? 2 * BANNER_MS : BANNER_MS);
  }
}

new ChatPage().start();
