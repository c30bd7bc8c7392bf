import { ChatClient, ChatMessage, ClientState, RequestError, newClientMessageId } from '@chat-server/client';
import { FINAL_CLOSE_CODES } from '../src/protocol';
import { Conversation, StoredMessage, clearSession, compareMessages, isServerId, loadSession, saveSession } from './chat-store';
import { ConversationList } from './conversation-list';
import { Conversations } from './conversations';
import { byId, errorText, setMessage, show } from './dom';
import { LoginForm } from './login-form';
import { LOAD_OLDER_MARGIN, MessageList } from './message-list';
import { StatusBar } from './status-bar';

const HISTORY_PAGE = 30;
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
  return { id: message.messageId, from: message.from, content: message.content, time: message.time };
}

function historyQuery(conversation: Conversation): { with?: string; groupName?: string } {
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
  };
  private readonly status = new StatusBar();
  private readonly loginForm = new LoginForm();
  private readonly conversationList = new ConversationList((key) => this.openConversation(key));
  private readonly messageList = new MessageList();

  private client: ChatClient | undefined;
  private connecting: Promise<ChatClient> | undefined;
  /** Set while a user is signed in on this page. */
  private me: string | undefined;
  private readonly conversations = new Conversations();
  private loadingOlder = false;
  private lastNotice: string | undefined;

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
    if (!this.conversations.merge(conversation.key, [toStored(message)])) return;
    conversation.lastActivity = Date.now();
    if (conversation.key !== this.conversations.active) conversation.unread += 1;
    this.conversations.save();
    this.renderConversations();
    if (conversation.key === this.conversations.active) this.renderMessages(true);
  }

  private send(): void {
    const key = this.conversations.active;
    const conversation = key ? this.conversations.get(key) : undefined;
    const client = this.client;
    const me = this.me;
    const content = this.ui.composerInput.value;
    if (!key || !conversation || !client || !me || content.trim() === '') return;
    this.ui.composerInput.value = '';
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
    const sending =
      conversation.kind === 'group' ? client.sendGroupChat(conversation.name, content) : client.sendChat(conversation.name, content);
    sending.then(
      ({ messageId }) => {
        const current = this.conversations.loadedMessages(key);
        if (current !== list) return;
        list.splice(list.indexOf(local), 1);
        const acked: StoredMessage = { id: messageId, from: me, content, time: local.time };
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
      if (this.conversations.active === key) this.renderMessages(true);
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
    this.conversationList.render(this.conversations.all(), this.conversations.active);
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
    };
    this.messageList.render(view, stickToBottom);
  }
}

new ChatPage().start();
