import {
  ChatClient,
  ChatMessage,
  ClientState,
  ConversationTarget,
  MessageChangedEvent,
  PresenceEntry,
  ReadReceiptEvent,
  RequestError,
  TypingEvent,
  newClientMessageId,
} from '@chat-server/client';
import { FINAL_CLOSE_CODES } from '../src/protocol';
import {
  Conversation,
  StoredMessage,
  clearSession,
  compareMessages,
  conversationKey,
  isServerId,
  loadSession,
  saveSession,
} from './chat-store';
import { ConversationList, presenceDot, presenceLabel } from './conversation-list';
import { Conversations, MessageChange } from './conversations';
import { byId, errorText, setMessage, show } from './dom';
import { LoginForm } from './login-form';
import { LOAD_OLDER_MARGIN, MessageList } from './message-list';
import { StatusBar } from './status-bar';
import { TypingIndicator, TypingThrottle, typingText } from './typing';

const HISTORY_PAGE = 30;
/** The conversations whose unread counts come from the server at login: its first page. */
const CONVERSATIONS_PAGE = 100;
/** The peers whose presence the page watches: those of the most recent conversations (the server allows 1000 a connection). */
const WATCHED_PEERS = 500;
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const TOKEN_REFUSED = 'token resume refused: ';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The WebSocket of the origin that served the page, so it works behind a load balancer too. */
function sameOriginUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

function reasonOf(error: unknown): string {
  return error instanceof RequestError ? error.reason : errorText(error);
}

function toStored(message: ChatMessage): StoredMessage {
  return {
    id: message.messageId,
    from: message.from,
    content: message.recalled ? '' : message.content,
    time: message.time,
    ...(message.editedAt ? { editedAt: message.editedAt } : {}),
    ...(message.recalled ? { recalled: true } : {}),
  };
}

function historyQuery(conversation: Conversation): ConversationTarget {
  return conversation.kind === 'group' ? { groupName: conversation.name } : { with: conversation.name };
}

class ChatPage {
  private readonly ui = {
    currentUser: byId('current-user'),
    logout: byId<HTMLButtonElement>('logout'),
    logoutEverywhere: byId<HTMLButtonElement>('logout-everywhere'),
    passwordForm: byId<HTMLFormElement>('password-form'),
    oldPassword: byId<HTMLInputElement>('old-password'),
    newPassword: byId<HTMLInputElement>('new-password'),
    chatView: byId('chat-view'),
    newChatForm: byId<HTMLFormElement>('new-chat-form'),
    newChatName: byId<HTMLInputElement>('new-chat-name'),
    groupForm: byId<HTMLFormElement>('group-form'),
    groupName: byId<HTMLInputElement>('group-name'),
    groupMembers: byId<HTMLInputElement>('group-members'),
    groupJoin: byId<HTMLButtonElement>('group-join'),
    title: byId('conversation-title'),
    membersButton: byId<HTMLButtonElement>('group-members-button'),
    quitButton: byId<HTMLButtonElement>('group-quit'),
    membersList: byId('group-members-list'),
    composer: byId<HTMLFormElement>('composer'),
    composerInput: byId<HTMLTextAreaElement>('composer-input'),
    composerSend: byId<HTMLButtonElement>('composer-send'),
    peerPresence: byId('peer-presence'),
    typingLine: byId('typing-line'),
    editBar: byId('edit-bar'),
    editCancel: byId<HTMLButtonElement>('edit-cancel'),
  };
  private readonly status = new StatusBar();
  private readonly loginForm = new LoginForm();
  private readonly conversationList = new ConversationList((key) => this.openConversation(key));
  private readonly messageList = new MessageList({
    edit: (message) => this.startEditing(message),
    recall: (message) => void this.recall(message),
  });

  private client: ChatClient | undefined;
  private connecting: Promise<ChatClient> | undefined;
  /** Set while a user is signed in on this page. */
  private me: string | undefined;
  private readonly conversations = new Conversations();
  private loadingOlder = false;
  private lastNotice: string | undefined;
  /** The last known presence of the peers of the conversation list. */
  private readonly presence = new Map<string, PresenceEntry>();
  /** The peers this page's client is subscribed to; the SDK subscribes again after reconnects and moves. */
  private readonly watched = new Set<string>();
  private readonly typingThrottle = new TypingThrottle();
  private readonly typingIndicator = new TypingIndicator();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Re-renders the messages when the first Edit and Recall buttons shown are due to go. */
  private changeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The message of ours being edited in the composer. */
  private editing: { key: string; messageId: string } | undefined;
  /** Conversations with a ReadRequest under way. */
  private readonly reading = new Set<string>();

  start(): void {
    this.loginForm.listen((register) => void this.signIn(register));
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
    this.messageList.loadOlder.addEventListener('click', () => void this.loadOlder());
    this.messageList.scroller.addEventListener('scroll', () => {
      if (this.messageList.scroller.scrollTop < LOAD_OLDER_MARGIN) void this.loadOlder();
    });
    this.ui.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.ui.composerInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      } else if (event.key === 'Escape' && this.editing) {
        event.preventDefault();
        this.stopEditing();
      }
    });
    this.ui.composerInput.addEventListener('input', () => this.onComposerInput());
    this.ui.editCancel.addEventListener('click', () => this.stopEditing());
    document.addEventListener('visibilitychange', () => this.markActiveRead());

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
        this.status.setState('reconnecting');
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
    // A new client has no presence subscriptions yet.
    this.watched.clear();
    const mine = () => this.client === client;
    client.on('state', (state) => mine() && this.onState(client, state));
    client.on('message', (message) => mine() && this.onMessage(message));
    client.on('groupAdded', ({ groupName, reason }) => {
      if (!mine() || !this.me) return;
      this.conversations.ensure('group', groupName);
      this.conversations.save();
      this.renderConversations();
      this.status.notify(reason ?? `You have been added to group ${groupName}`);
    });
    client.on('notice', ({ reason }) => {
      if (mine()) this.lastNotice = reason;
    });
    client.on('moved', ({ host }) => mine() && this.status.notify(`Moving to instance ${host}`));
    client.on('presence', (entry) => mine() && this.onPresence(entry));
    client.on('typing', (event) => mine() && this.onTyping(event));
    client.on('readReceipt', (event) => mine() && this.onReadReceipt(event));
    client.on('messageChanged', (event) => mine() && this.onMessageChanged(event));
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
    this.status.setState(state);
    // A reconnect logs in again with the token: keep the newest one and catch up on the open conversation.
    if (state === 'connected' && this.me && client.token) {
      saveSession({ username: this.me, token: client.token });
      if (this.conversations.active) void this.fetchLatest(this.conversations.active);
      void this.syncConversations(client);
    }
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
    const credentials = this.loginForm.credentials();
    if (!credentials) return;
    const { username, password } = credentials;
    this.loginForm.busy(register);
    try {
      const client = await this.connection();
      if (register) await client.register(username, password);
      const result = await client.login(username, password);
      this.loginForm.succeeded();
      this.enterChat(result.username);
      this.afterLogin(client, result.username);
    } catch (error) {
      this.loginForm.failed(`${register ? 'Register' : 'Log in'} failed: ${reasonOf(error)}`);
    } finally {
      this.loginForm.idle();
    }
  }

  private afterLogin(client: ChatClient, username: string): void {
    if (client.token) saveSession({ username, token: client.token });
    this.ui.currentUser.textContent = username;
    this.renderConversation();
    if (this.conversations.active) void this.fetchLatest(this.conversations.active);
    void this.syncConversations(client);
  }

  /** The unread counts and read positions of the server's first page of conversations, then the presence of their peers. */
  private async syncConversations(client: ChatClient): Promise<void> {
    try {
      const page = await client.conversations({ limit: CONVERSATIONS_PAGE });
      if (this.client !== client || !this.me) return;
      for (const summary of page.conversations) this.conversations.applySummary(summary);
      this.conversations.save();
      this.renderConversations();
      this.renderMessages();
    } catch {
      // Not answered (a lost connection, an older server): the counts the page kept stay.
    }
    this.watchPeers();
    this.markActiveRead();
  }

  /** Subscribes to the presence of the peers of the conversation list not watched yet. */
  private watchPeers(): void {
    const client = this.loggedInClient;
    if (!client) return;
    const peers = [...this.conversations.all()]
      .filter((conversation) => conversation.kind === 'user')
      .sort((a, b) => b.lastActivity - a.lastActivity)
      .slice(0, WATCHED_PEERS)
      .map((conversation) => conversation.name)
      .filter((peer) => !this.watched.has(peer))
      .slice(0, Math.max(0, WATCHED_PEERS - this.watched.size));
    if (peers.length === 0) return;
    for (const peer of peers) this.watched.add(peer);
    client.presence(peers, { subscribe: true }).then(
      (entries) => {
        if (this.client !== client) return;
        for (const entry of entries) this.presence.set(entry.username, entry);
        this.renderConversations();
        this.renderPeerPresence();
      },
      () => {
        // Tried again with the next conversation, or after the next login.
        if (this.client === client) for (const peer of peers) this.watched.delete(peer);
      },
    );
  }

  private onPresence(entry: PresenceEntry): void {
    this.presence.set(entry.username, entry);
    this.renderConversations();
    this.renderPeerPresence();
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
      this.status.notify('Password changed; your other devices were logged out');
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
    this.lastNotice = undefined;
    this.conversations.clear();
    this.presence.clear();
    this.typingIndicator.clear();
    this.typingThrottle.clear();
    this.editing = undefined;
    show(this.ui.editBar, false);
    this.ui.composerSend.textContent = 'Send';
    this.showAuth();
    this.loginForm.showSignedOut(reason);
    void this.connection();
  }

  private showAuth(): void {
    show(this.ui.chatView, false);
    this.loginForm.show(true);
    show(this.ui.logout, false);
    show(this.ui.logoutEverywhere, false);
    this.ui.currentUser.textContent = '';
    document.title = 'Chat';
  }

  private enterChat(username: string): void {
    this.me = username;
    this.conversations.load(username);
    this.loginForm.show(false);
    show(this.ui.chatView, true);
    show(this.ui.logout, true);
    show(this.ui.logoutEverywhere, true);
    this.ui.currentUser.textContent = username;
    this.renderConversations();
    this.renderConversation();
    this.messageList.scrollToBottom();
  }

  private get loggedInClient(): ChatClient | undefined {
    return this.client?.token && this.me ? this.client : undefined;
  }

  // ---- conversations ----

  private openConversation(key: string): void {
    if (this.editing && this.editing.key !== key) this.stopEditing();
    if (!this.conversations.open(key)) return;
    this.renderConversations();
    this.renderConversation();
    this.messageList.scrollToBottom();
    this.ui.composerInput.focus();
    void this.fetchLatest(key);
  }

  private startChat(): void {
    const name = this.ui.newChatName.value.trim();
    if (!name || !this.me) return;
    if (name === this.me) {
      this.status.notify('That is you: pick another user', 'error');
      return;
    }
    const conversation = this.conversations.ensure('user', name);
    conversation.lastActivity = Date.now();
    this.ui.newChatName.value = '';
    this.openConversation(conversation.key);
    this.watchPeers();
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
      this.openConversation(this.conversations.ensure('group', group.groupName).key);
      this.status.notify(`Created group ${group.groupName} with ${group.members.join(', ')}`);
    });
  }

  private async joinGroup(): Promise<void> {
    const name = this.ui.groupName.value.trim();
    if (!name) {
      this.status.notify('Enter the name of the group to join', 'error');
      return;
    }
    await this.act('Join group', async (client) => {
      await client.joinGroup(name);
      this.ui.groupName.value = '';
      this.openConversation(this.conversations.ensure('group', name).key);
      this.status.notify(`Joined group ${name}`);
    });
  }

  private async quitGroup(): Promise<void> {
    const conversation = this.conversations.activeConversation;
    if (conversation?.kind !== 'group') return;
    await this.act('Quit group', async (client) => {
      await client.quitGroup(conversation.name);
      this.conversations.remove(conversation.key);
      this.renderConversations();
      this.renderConversation();
      this.status.notify(`Left group ${conversation.name}`);
    });
  }

  private async showMembers(): Promise<void> {
    const conversation = this.conversations.activeConversation;
    if (conversation?.kind !== 'group') return;
    await this.act('Members', async (client) => {
      const members = await client.groupMembers(conversation.name);
      if (this.conversations.active !== conversation.key) return;
      setMessage(this.ui.membersList, `Members (${members.length}): ${members.join(', ')}`);
    });
  }

  /** Runs a request of the signed-in user, reporting its failure in the banner. */
  private async act(what: string, action: (client: ChatClient) => Promise<void>): Promise<void> {
    const client = this.loggedInClient;
    if (!client) {
      this.status.notify(`${what}: not connected`, 'error');
      return;
    }
    try {
      await action(client);
    } catch (error) {
      this.status.notify(`${what}: ${reasonOf(error)}`, 'error');
    }
  }

  // ---- messages ----

  private onMessage(message: ChatMessage): void {
    const me = this.me;
    if (!me) return;
    const conversation =
      message.kind === 'group'
        ? this.conversations.ensure('group', message.groupName)
        : this.conversations.ensure('user', message.from === me ? message.to : message.from);
    this.typingIndicator.stopped(conversation.key, message.from);
    if (conversation.key === this.conversations.active) this.renderTyping();
    const stored = toStored(message);
    if (!this.conversations.merge(conversation.key, [stored])) return;
    conversation.lastActivity = Date.now();
    this.conversations.countUnread(conversation.key, stored);
    this.conversations.save();
    this.renderConversations();
    this.watchPeers();
    if (conversation.key === this.conversations.active) {
      this.renderMessages(true);
      this.markActiveRead();
    }
  }

  /** Marks the open conversation read up to its newest message, when the page is visible and someone else's message is unread. */
  private markActiveRead(): void {
    const key = this.conversations.active;
    const conversation = this.conversations.activeConversation;
    const client = this.loggedInClient;
    if (!key || !conversation || !client || document.visibilityState !== 'visible' || this.reading.has(key)) return;
    const messageId = this.conversations.readTarget(key);
    if (!messageId) return;
    this.reading.add(key);
    client
      .markRead(historyQuery(conversation), messageId)
      .then(
        (position) => {
          if (this.client !== client || this.conversations.get(key) !== conversation) return false;
          if (this.conversations.markedRead(key, position)) {
            this.conversations.save();
            this.renderConversations();
          }
          return position === messageId;
        },
        // Refused or lost: the next message, visit or login tries again.
        () => false,
      )
      .then((again) => {
        this.reading.delete(key);
        // Messages that came while it was under way.
        if (again) this.markActiveRead();
      });
  }

  private onReadReceipt(event: ReadReceiptEvent): void {
    const key = event.kind === 'group' ? conversationKey('group', event.groupName) : conversationKey('user', event.with);
    const reads = event.kind === 'group' ? event.reads : [event];
    let moved = false;
    for (const read of reads) moved = this.conversations.receipt(key, read.from, read.messageId) || moved;
    if (!moved) return;
    this.conversations.save();
    this.renderConversations();
    if (key === this.conversations.active) this.renderMessages();
  }

  private onTyping(event: TypingEvent): void {
    if (event.from === this.me) return;
    const key = event.kind === 'group' ? conversationKey('group', event.groupName) : conversationKey('user', event.from);
    this.typingIndicator.typed(key, event.from, Date.now());
    if (key === this.conversations.active) this.renderTyping();
  }

  /** Tells the open conversation that we type: at most once per 2 s (the server forwards no more). */
  private onComposerInput(): void {
    const key = this.conversations.active;
    const conversation = this.conversations.activeConversation;
    const client = this.loggedInClient;
    if (!key || !conversation || !client || this.editing || this.ui.composerInput.value.trim() === '') return;
    if (!this.typingThrottle.shouldSend(key, Date.now())) return;
    client.typing(conversation.kind === 'group' ? { groupName: conversation.name } : { to: conversation.name });
  }

  private onMessageChanged(event: MessageChangedEvent): void {
    const me = this.me;
    if (!me) return;
    const key =
      event.kind === 'group'
        ? conversationKey('group', event.groupName)
        : conversationKey('user', event.from === me ? event.to : event.from);
    this.applyChange(key, event);
  }

  private applyChange(key: string, change: MessageChange): void {
    if (!this.conversations.applyChange(key, change)) return;
    if (change.recalled && this.editing?.messageId === change.messageId) this.stopEditing();
    if (key === this.conversations.active) this.renderMessages();
  }

  private startEditing(message: StoredMessage): void {
    const key = this.conversations.active;
    if (!key) return;
    this.editing = { key, messageId: message.id };
    this.ui.composerInput.value = message.content;
    this.ui.composerSend.textContent = 'Save';
    show(this.ui.editBar, true);
    this.ui.composerInput.focus();
    this.renderMessages();
  }

  private stopEditing(): void {
    if (!this.editing) return;
    this.editing = undefined;
    this.ui.composerInput.value = '';
    this.ui.composerSend.textContent = 'Send';
    show(this.ui.editBar, false);
    this.renderMessages();
  }

  /** Saves the edit in the composer; a refusal (the window has passed, say) is shown and the edit stays open. */
  private async saveEdit(): Promise<void> {
    const editing = this.editing;
    const content = this.ui.composerInput.value;
    if (!editing || content.trim() === '') return;
    await this.act('Edit', async (client) => {
      const { editedAt } = await client.edit(editing.messageId, content);
      if (this.editing === editing) this.stopEditing();
      this.applyChange(editing.key, { messageId: editing.messageId, content, recalled: false, editedAt });
    });
  }

  private async recall(message: StoredMessage): Promise<void> {
    const key = this.conversations.active;
    if (!key) return;
    await this.act('Recall', async (client) => {
      const { editedAt } = await client.recall(message.id);
      this.applyChange(key, { messageId: message.id, recalled: true, editedAt });
    });
  }

  private send(): void {
    const key = this.conversations.active;
    const conversation = key ? this.conversations.get(key) : undefined;
    const client = this.client;
    const me = this.me;
    const content = this.ui.composerInput.value;
    if (this.editing) {
      void this.saveEdit();
      return;
    }
    if (!key || !conversation || !client || !me || content.trim() === '') return;
    this.ui.composerInput.value = '';
    this.typingThrottle.reset(key);
    const local: StoredMessage = {
      id: `local:${newClientMessageId()}`,
      from: me,
      content,
      time: new Date().toISOString(),
      state: 'sending',
    };
    const list = this.conversations.messagesOf(key);
    list.push(local);
    conversation.lastActivity = Date.now();
    this.conversations.save();
    this.renderConversations();
    this.renderMessages();
    this.messageList.scrollToBottom();
    // The SDK keeps the send in its outbox across reconnects, so it may settle much later.
    const sending: Promise<{ messageId: string; delivered?: boolean }> =
      conversation.kind === 'group' ? client.sendGroupChat(conversation.name, content) : client.sendChat(conversation.name, content);
    sending.then(
      (ack) => {
        const current = this.conversations.loadedMessages(key);
        if (current !== list) return;
        list.splice(list.indexOf(local), 1);
        const acked: StoredMessage = { id: ack.messageId, from: me, content, time: local.time };
        if (ack.delivered !== undefined) acked.delivered = ack.delivered;
        if (!this.conversations.merge(key, [acked])) this.conversations.saveMessages(key, list);
        if (this.conversations.active === key) this.renderMessages(true);
      },
      (error: unknown) => {
        local.state = 'failed';
        local.reason = reasonOf(error);
        if (this.conversations.active === key && this.conversations.loadedMessages(key) === list) this.renderMessages(true);
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
      const newestKnown = this.conversations
        .messagesOf(key)
        .filter((message) => isServerId(message.id))
        .at(-1);
      if (page.length === HISTORY_PAGE && newestKnown && compareMessages(page[0], newestKnown) > 0) {
        // A full page newer than everything cached may leave a gap: restart from this page.
        const unsent = this.conversations.messagesOf(key).filter((message) => !isServerId(message.id));
        this.conversations.restart(key, page, unsent);
      } else {
        this.conversations.merge(key, page);
      }
      if (page.length < HISTORY_PAGE) this.conversations.markComplete(key);
      if (this.conversations.active === key) {
        this.renderMessages(true);
        this.markActiveRead();
      }
    } catch (error) {
      if (this.conversations.active === key) this.messageList.setHistoryState(`History: ${reasonOf(error)}`, 'error');
    }
  }

  /** The page before the oldest message shown, keeping the view where it was. */
  private async loadOlder(): Promise<void> {
    const key = this.conversations.active;
    const client = this.loggedInClient;
    const conversation = key ? this.conversations.get(key) : undefined;
    if (!key || !client || !conversation || this.loadingOlder || this.conversations.isComplete(key)) return;
    const oldest = this.conversations.messagesOf(key).find((message) => isServerId(message.id));
    this.loadingOlder = true;
    this.messageList.setHistoryState('Loading older messages…');
    try {
      const page = await client.history({ ...historyQuery(conversation), beforeId: oldest?.id, limit: HISTORY_PAGE });
      if (page.length < HISTORY_PAGE) this.conversations.markComplete(key);
      if (this.conversations.active !== key) return;
      const scroller = this.messageList.scroller;
      const heightBefore = scroller.scrollHeight;
      const topBefore = scroller.scrollTop;
      this.conversations.merge(key, page.map(toStored));
      this.loadingOlder = false;
      this.renderMessages();
      scroller.scrollTop = topBefore + scroller.scrollHeight - heightBefore;
    } catch (error) {
      this.messageList.setHistoryState(`History: ${reasonOf(error)}`, 'error');
    } finally {
      this.loadingOlder = false;
    }
  }

  // ---- rendering ----

  private renderConversations(): void {
    this.conversationList.render(this.conversations.all(), this.conversations.active, this.presence);
  }

  /** The open 1:1 conversation's peer: a dot and online, or when last seen. */
  private renderPeerPresence(): void {
    const conversation = this.conversations.activeConversation;
    const peer = conversation?.kind === 'user' ? conversation.name : undefined;
    show(this.ui.peerPresence, peer !== undefined);
    if (peer === undefined) return;
    const entry = this.presence.get(peer);
    this.ui.peerPresence.dataset.presence = entry === undefined ? 'unknown' : entry.online ? 'online' : 'offline';
    this.ui.peerPresence.replaceChildren(presenceDot(entry, 'peer-presence-dot'), presenceLabel(entry));
  }

  /** "bob is typing…" under the open conversation, until a few seconds after their last Typing push. */
  private renderTyping(): void {
    clearTimeout(this.typingTimer);
    const key = this.conversations.active;
    const now = Date.now();
    this.ui.typingLine.textContent = (key && typingText(this.typingIndicator.typers(key, now))) || '';
    const next = key ? this.typingIndicator.nextExpiry(key) : undefined;
    if (next !== undefined) this.typingTimer = setTimeout(() => this.renderTyping(), Math.max(0, next - now) + 50);
  }

  private renderConversation(): void {
    const conversation = this.conversations.activeConversation;
    const isGroup = conversation?.kind === 'group';
    this.ui.title.textContent = conversation ? `${isGroup ? 'Group' : 'Chat with'} ${conversation.name}` : 'Pick or start a conversation';
    show(this.ui.membersButton, isGroup);
    show(this.ui.quitButton, isGroup);
    setMessage(this.ui.membersList, undefined);
    this.ui.composerInput.disabled = !conversation;
    this.ui.composerSend.disabled = !conversation;
    this.messageList.setHistoryState(undefined);
    this.renderPeerPresence();
    this.renderTyping();
    this.renderMessages();
  }

  private renderMessages(stickToBottom = false): void {
    const key = this.conversations.active;
    const view = {
      key,
      messages: key ? this.conversations.messagesOf(key) : [],
      complete: key !== undefined && this.conversations.isComplete(key),
      loadingOlder: this.loadingOlder,
      me: this.me,
      peerReadUpTo: key ? this.conversations.get(key)?.peerReadUpTo : undefined,
      editing: this.editing?.key === key ? this.editing?.messageId : undefined,
      now: Date.now(),
    };
    clearTimeout(this.changeTimer);
    const expires = this.messageList.render(view, stickToBottom);
    if (expires !== undefined) this.changeTimer = setTimeout(() => this.renderMessages(), Math.min(MAX_TIMER_MS, expires - view.now + 100));
  }
}

new ChatPage().start();
