import { Locator, Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../../helpers/environment';
import { until } from '../../helpers/wait';

export const PASSWORD = 'secret-pass';

function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** What a person does on the chat page (GET /), through the data-testid hooks of web/chat.html. */
export class ChatPage {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async waitForState(state: string, timeoutMs = 20000): Promise<void> {
    await this.page.locator(`[data-testid="connection-state"][data-state="${state}"]`).waitFor({ timeout: timeoutMs });
  }

  async register(username: string, password = PASSWORD): Promise<void> {
    await this.submitCredentials(username, password, 'auth-register');
  }

  async login(username: string, password = PASSWORD): Promise<void> {
    await this.submitCredentials(username, password, 'auth-login');
  }

  private async submitCredentials(username: string, password: string, button: string): Promise<void> {
    await this.waitForState('connected');
    await this.byTestId('auth-username').fill(username);
    await this.byTestId('auth-password').fill(password);
    await this.byTestId(button).click();
    await this.byTestId('chat-view').waitFor();
    await this.page.locator('[data-testid="current-user"]', { hasText: exactly(username) }).waitFor();
  }

  conversation(kind: 'user' | 'group', name: string): Locator {
    return this.page.locator(`[data-testid="conversation-item"][data-conversation="${kind}:${name}"]`);
  }

  unread(kind: 'user' | 'group', name: string): Locator {
    return this.conversation(kind, name).getByTestId('unread-count');
  }

  /** Waits until a conversation's unread count reads `count`. */
  async waitForUnread(kind: 'user' | 'group', name: string, count: number, timeoutMs = 10000): Promise<void> {
    await until(
      () => this.unread(kind, name).textContent(),
      (text) => text === String(count),
      timeoutMs,
      `unread count of ${kind} ${name}`,
    );
  }

  async startChat(username: string): Promise<void> {
    await this.byTestId('new-chat-name').fill(username);
    await this.byTestId('new-chat-open').click();
    await this.page.locator('[data-testid="conversation-title"]', { hasText: exactly(`Chat with ${username}`) }).waitFor();
  }

  async open(kind: 'user' | 'group', name: string): Promise<void> {
    await this.conversation(kind, name).click();
    await this.page
      .locator('[data-testid="conversation-title"]', { hasText: exactly(`${kind === 'group' ? 'Group' : 'Chat with'} ${name}`) })
      .waitFor();
  }

  async createGroup(name: string, members: string[]): Promise<void> {
    await this.byTestId('group-name').fill(name);
    await this.byTestId('group-members-input').fill(members.join(', '));
    await this.byTestId('group-create').click();
    await this.page.locator('[data-testid="conversation-title"]', { hasText: exactly(`Group ${name}`) }).waitFor();
  }

  /** Sends in the open conversation and waits for the server's acknowledgement. */
  async send(content: string): Promise<void> {
    await this.byTestId('composer-input').fill(content);
    await this.byTestId('composer-send').click();
    await this.page
      .locator('[data-testid="message"]:not(.sending):not(.failed)')
      .filter({ has: this.messageContent(content) })
      .waitFor();
  }

  /** The content element of the message with exactly this text, in the open conversation. */
  messageContent(content: string): Locator {
    return this.page.locator('[data-testid="message-content"]', { hasText: exactly(content) });
  }

  async waitForMessage(content: string, timeoutMs = 15000): Promise<void> {
    await this.messageContent(content).first().waitFor({ timeout: timeoutMs });
  }

  async messageCount(): Promise<number> {
    return this.byTestId('message').count();
  }

  /** The presence dot of the 1:1 conversation with `name` in the list. */
  presenceDot(name: string, state?: 'online' | 'offline' | 'unknown'): Locator {
    const dot = this.conversation('user', name).locator('[data-testid="presence-dot"]');
    return state === undefined ? dot : this.conversation('user', name).locator(`[data-testid="presence-dot"][data-presence="${state}"]`);
  }

  /** Waits until the dot beside `name` in the conversation list says `state`. */
  async waitForPresence(name: string, state: 'online' | 'offline', timeoutMs = 10000): Promise<void> {
    await this.presenceDot(name, state).waitFor({ timeout: timeoutMs });
  }

  /** The message (the list item) with exactly this text, in the open conversation. */
  message(content: string): Locator {
    return this.page.locator('[data-testid="message"]').filter({ has: this.messageContent(content) });
  }

  /** The message with this server id, in the open conversation. */
  messageById(messageId: string): Locator {
    return this.page.locator(`[data-testid="message"][data-message-id="${messageId}"]`);
  }

  /** Waits until one of our messages shows these ticks: `sent`, `delivered` or `read`. */
  async waitForTicks(content: string, status: 'sent' | 'delivered' | 'read', timeoutMs = 10000): Promise<void> {
    await this.message(content).locator(`[data-testid="message-ticks"][data-status="${status}"]`).waitFor({ timeout: timeoutMs });
  }

  /** Edits one of our messages through its Edit button and the composer, and saves. */
  async edit(content: string, newContent: string): Promise<void> {
    await this.message(content).getByTestId('message-edit').click();
    await this.byTestId('edit-bar').waitFor();
    await this.byTestId('composer-input').fill(newContent);
    await this.byTestId('composer-send').click();
  }

  /** Recalls one of our messages through its Recall button; returns its id. */
  async recall(content: string): Promise<string> {
    const messageId = await this.message(content).getAttribute('data-message-id');
    if (!messageId) throw new Error(`no message "${content}"`);
    await this.message(content).getByTestId('message-recall').click();
    return messageId;
  }

  /** Starts recording the connection states the badge goes through. */
  async recordStates(): Promise<void> {
    await this.page.evaluate(() => {
      const badge = document.querySelector<HTMLElement>('[data-testid="connection-state"]');
      const seen: string[] = [];
      (window as unknown as { seenStates: string[] }).seenStates = seen;
      if (!badge) return;
      new MutationObserver((records) => seen.push(...records.map((record) => record.oldValue ?? ''))).observe(badge, {
        attributes: true,
        attributeFilter: ['data-state'],
        attributeOldValue: true,
      });
    });
  }

  /** Every state since recordStates, the current one last. */
  recordedStates(): Promise<string[]> {
    return this.page.evaluate(() => {
      const badge = document.querySelector<HTMLElement>('[data-testid="connection-state"]');
      return [...((window as unknown as { seenStates?: string[] }).seenStates ?? []), badge?.dataset.state ?? ''];
    });
  }
}

/** The admin console's traffic charts. */
type Chart = 'messages' | 'connections' | 'logins' | 'moves';

/** What an operator does on the admin console (GET /admin). */
export class AdminPage {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async signIn(token = ADMIN_TOKEN): Promise<void> {
    await this.byTestId('admin-token').fill(token);
    await this.byTestId('admin-login').click();
    await this.byTestId('console').waitFor();
  }

  userRow(username: string): Locator {
    return this.page.locator(`[data-testid="user-row"][data-username="${username}"]`);
  }

  async findUser(username: string): Promise<Locator> {
    await this.byTestId('user-filter').fill(username);
    await this.byTestId('user-search').click();
    const row = this.userRow(username);
    await row.waitFor();
    return row;
  }

  async disable(username: string): Promise<void> {
    const row = await this.findUser(username);
    await row.getByTestId('user-toggle').click();
    await this.page.locator(`[data-testid="user-row"][data-username="${username}"][data-status="false"]`).waitFor();
  }

  instance(host: string): Locator {
    return this.page.locator(`[data-testid="instance"][data-host="${host}"]`);
  }

  /** Waits until the cluster panel shows this instance with at least `connections` connections. */
  async waitForConnections(host: string, connections: number, timeoutMs = 20000): Promise<void> {
    const value = this.instance(host).getByTestId('bar-connections-value');
    await until(
      async () => Number((await value.textContent({ timeout: timeoutMs })) ?? '0'),
      (n) => n >= connections,
      timeoutMs,
      `connections of ${host}`,
    );
  }

  /** A chart's legend entry of one line: an instance id, or `logins`, `refusals`. */
  legend(chart: Chart, series: string): Locator {
    return this.page.locator(`[data-testid="chart-${chart}"] [data-testid="legend-item"][data-series="${series}"]`);
  }

  /** Waits until a legend entry's data attribute (`latest`, `total`) reads `value`. */
  async waitForLegend(chart: Chart, series: string, field: 'latest' | 'total', value: number): Promise<void> {
    const entry = this.legend(chart, series);
    await until(
      async () => ((await entry.count()) === 0 ? undefined : await entry.getAttribute(`data-${field}`)),
      (seen) => seen === String(value),
      20000,
      `${field} of ${series} in the ${chart} chart`,
    );
  }

  /** The path data of a chart's line. */
  linePath(chart: Chart, series: string): Promise<string | null> {
    return this.page.locator(`[data-testid="chart-${chart}"] [data-testid="chart-line"][data-series="${series}"]`).getAttribute('d');
  }

  /** The CSS width of a bar of an instance, in percent. */
  async barWidth(host: string, bar: 'bar-users' | 'bar-connections'): Promise<number> {
    return this.instance(host)
      .getByTestId(bar)
      .evaluate((element) => Number.parseFloat((element as HTMLElement).style.width));
  }

  /** Waits until the connections bar of `host` is `width` % wide. */
  async waitForConnectionsBar(host: string, width: number, timeoutMs: number, what: string): Promise<void> {
    await until(
      () => this.barWidth(host, 'bar-connections'),
      (actual) => actual === width,
      timeoutMs,
      what,
    );
  }
}

/**
 * `from` (signed in as `fromName`) starts a chat with `toName` and sends `content`; `to` sees the
 * conversation with `fromName` appear, opens it and finds the message there.
 */
export async function firstMessage(from: ChatPage, fromName: string, to: ChatPage, toName: string, content: string): Promise<void> {
  await from.startChat(toName);
  await from.send(content);
  await to.conversation('user', fromName).waitFor();
  await to.open('user', fromName);
  await to.waitForMessage(content);
}
