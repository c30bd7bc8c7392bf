import { Browser } from 'playwright-core';
import { MessageType } from '../../src/protocol';
import { Instance } from '../helpers/instance';
import { WsTestClient, loggedIn, uniqueName } from '../helpers/ws-client';
import { BrowserUser, screenshot } from './helpers/browser';
import { useBrowserFixture } from './helpers/browser-fixture';
import { AdminPage, ChatPage, PASSWORD } from './helpers/pages';

async function loggedInByToken(url: string, token: string): Promise<Record<string, unknown>> {
  const client = await WsTestClient.connect(url);
  try {
    return await client.request({ messageType: MessageType.LoginRequest, token });
  } finally {
    client.close();
  }
}

/**
 * The chat page and the admin console against one embedded instance, as two people and an
 * operator would use them. The tests run in order and share the people they create.
 */
describe('web pages, one embedded instance', () => {
  const fixture = useBrowserFixture({ mode: 'embedded' });
  let instance: Instance;
  let browser: Browser;
  let alice: BrowserUser;
  let bob: BrowserUser;
  let pageA: ChatPage;
  let pageB: ChatPage;
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const group = uniqueName('grp');
  const markup = '<b>bold</b><script>x</script>';

  // Alice and Bob are the fixture's people, whose pages are checked after each test; the others
  // check their own pages before they close.
  beforeAll(async () => {
    [instance, browser] = await Promise.all([fixture.start(), fixture.launch()]);
    alice = await fixture.person();
    bob = await fixture.person();
  }, 120000);

  it('serves the pages as raw files under a strict content security policy', async () => {
    for (const path of ['/', '/admin', '/assets/chat.js', '/assets/style.css']) {
      const response = await fetch(`http://127.0.0.1:${instance.port}${path}`);
      // Read every body: an unread one keeps its connection busy and the instance from stopping.
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      // WebSocket connections to this origin only ('self' covers ws: and wss: of the same host).
      expect(response.headers.get('content-security-policy')).toContain("connect-src 'self';");
    }
    const page = await fetch(`http://127.0.0.1:${instance.port}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('/assets/chat.js');
    const missing = await instance.http('GET', '/assets/nothing.js');
    expect(missing.status).toBe(404);
    const docs = await instance.http<never>('GET', '/v2/api-docs');
    expect(Object.keys((docs.body as unknown as { paths: Record<string, unknown> }).paths)).not.toContain('/admin');
  });

  it("two people register, chat 1:1 and in a group, and see each other's messages", async () => {
    pageA = new ChatPage(await alice.page(`http://127.0.0.1:${instance.port}/`));
    pageB = new ChatPage(await bob.page(`http://127.0.0.1:${instance.port}/`));
    await pageA.register(nameA);
    await pageB.register(nameB);
    await pageA.waitForState('connected');

    await pageA.startChat(nameB);
    await pageA.send(`hello ${nameB}`);

    // Bob has the conversation in his list, with one unread message, before opening it.
    await pageB.conversation('user', nameA).waitFor();
    await pageB.waitForUnread('user', nameA, 1);
    await pageB.open('user', nameA);
    await pageB.waitForMessage(`hello ${nameB}`);
    expect(await pageB.unread('user', nameA).isVisible()).toBe(false);
    await pageB.send(`hi ${nameA}`);
    await pageA.waitForMessage(`hi ${nameA}`);

    await pageA.createGroup(group, [nameB]);
    await pageB.conversation('group', group).waitFor();
    await pageA.send('hello group');
    await pageB.waitForUnread('group', group, 1);
    await pageB.open('group', group);
    await pageB.waitForMessage('hello group');
    await pageB.send('group reply');
    await pageA.waitForMessage('group reply');

    await pageB.byTestId('group-members-button').click();
    const members = pageB.byTestId('group-members-list');
    await members.waitFor();
    expect(await members.textContent()).toContain(nameA);
    expect(await members.textContent()).toContain(nameB);

    // Bob quits the group and joins it again.
    await pageB.byTestId('group-quit').click();
    await pageB.conversation('group', group).waitFor({ state: 'detached' });
    await pageB.byTestId('group-name').fill(group);
    await pageB.byTestId('group-join').click();
    await pageB.conversation('group', group).waitFor();
    await pageA.send('welcome back');
    await pageB.waitForMessage('welcome back');
  });

  it('shows a message containing markup as literal text', async () => {
    await pageA.open('user', nameB);
    await pageB.open('user', nameA);
    await pageA.send(markup);
    await pageB.waitForMessage(markup);
    for (const chat of [pageA, pageB]) {
      expect(await chat.messageContent(markup).textContent()).toBe(markup);
      expect(await chat.page.locator('[data-testid="message-list"] b').count()).toBe(0);
      expect(await chat.page.locator('[data-testid="message-list"] script').count()).toBe(0);
    }
    await screenshot(pageB.page, 'chat-page');
  });

  it('keeps the session and the conversation across a reload', async () => {
    await pageB.page.reload();
    await pageB.waitForState('connected');
    await pageB.page.locator('[data-testid="current-user"]', { hasText: nameB }).waitFor();
    await pageB.conversation('user', nameA).waitFor();
    await pageB.conversation('group', group).waitFor();
    await pageB.waitForMessage(markup);
    await pageB.waitForMessage(`hello ${nameB}`);
    const stored = await pageB.page.evaluate(() => Object.keys(localStorage).filter((key) => key.includes('.messages.')));
    expect(stored.length).toBeGreaterThanOrEqual(2);

    // Still live after the reload: both directions.
    await pageA.send('after reload');
    await pageB.waitForMessage('after reload');
    await pageB.send('still here');
    await pageA.waitForMessage('still here');
  });

  it('loads older history when scrolled to the top', async () => {
    const sender = uniqueName('carol');
    const reader = uniqueName('dave');
    const carol = fixture.track(await loggedIn(instance.wsUrl, sender));
    const dave = fixture.track(await loggedIn(instance.wsUrl, reader));
    for (let n = 1; n <= 45; n++) await carol.request({ messageType: MessageType.ChatRequest, to: reader, content: `old #${n}` });
    const delivered = await dave.collect((frame) => frame.messageType === MessageType.ChatResponse && frame.content !== null, 45);
    // Acknowledged on another device: the page gets them only from history, not as offline deliveries.
    dave.send({ messageType: MessageType.Ack, messageIds: delivered.map((frame) => frame.messageId) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    carol.close();
    dave.close();

    const daveUser = await BrowserUser.create(browser);
    try {
      const page = new ChatPage(await daveUser.page(`http://127.0.0.1:${instance.port}/`));
      await page.login(reader);
      await page.startChat(sender);
      await page.waitForMessage('old #45');
      expect(await page.messageCount()).toBe(30);
      await page.byTestId('message-scroller').evaluate((element) => {
        element.scrollTop = 0;
      });
      await page.waitForMessage('old #1');
      expect(await page.messageCount()).toBe(45);
      await page.page.locator('[data-testid="history-state"]', { hasText: 'Start of the conversation' }).waitFor();
      expect(daveUser.problems).toEqual([]);
    } finally {
      await daveUser.close();
    }
  });

  it('the admin console finds and disables a user, whose page shows it was signed out', async () => {
    const operator = await BrowserUser.create(browser);
    try {
      const admin = new AdminPage(await operator.page(`http://127.0.0.1:${instance.port}/admin`));
      await admin.byTestId('admin-token').fill('not-the-admin-token');
      await admin.byTestId('admin-login').click();
      await admin.page.locator('[data-testid="admin-error"]', { hasText: 'Missing or invalid token' }).waitFor();
      expect(await admin.byTestId('console').isVisible()).toBe(false);
      await admin.signIn();

      // The cluster panel: this one instance, with the two people's connections as bars.
      await admin.instance(instance.host).waitFor();
      await admin.waitForConnections(instance.host, 2);
      expect(await admin.barWidth(instance.host, 'bar-connections')).toBeGreaterThan(0);
      await admin.byTestId('rebalance-button').click();
      await admin.byTestId('rebalance-result').waitFor();

      await admin.disable(nameB);
      await pageB.page.locator('[data-testid="signed-out"]', { hasText: 'signed out: Account is disabled' }).waitFor();
      await pageB.byTestId('auth-form').waitFor();
      expect(await pageB.byTestId('chat-view').isVisible()).toBe(false);
      expect(await pageB.page.evaluate(() => localStorage.getItem('chat.session'))).toBeNull();
      await screenshot(admin.page, 'admin-page');

      // Filtered by status, Bob is among the disabled users, and can be enabled again.
      await admin.byTestId('user-filter').fill('');
      await admin.byTestId('status-filter').selectOption('false');
      await admin.byTestId('user-search').click();
      await admin.page.locator(`[data-testid="user-row"][data-username="${nameB}"][data-status="false"]`).waitFor();
      expect(await admin.userRow(nameA).count()).toBe(0);
      await admin.userRow(nameB).getByTestId('user-toggle').click();
      await admin.byTestId('status-filter').selectOption('true');
      await admin.byTestId('user-search').click();
      await admin.page.locator(`[data-testid="user-row"][data-username="${nameB}"][data-status="true"]`).waitFor();

      // Alice stayed connected, and Bob, enabled again, logs back in to his conversations.
      await pageA.waitForState('connected');
      await pageB.login(nameB);
      await pageB.conversation('user', nameA).waitFor();
      expect(operator.problems).toEqual([]);
    } finally {
      await operator.close();
    }
  });

  it('changes the password, which logs the other device out; Log out revokes the saved token', async () => {
    const carolName = uniqueName('carol');
    const desk = await BrowserUser.create(browser);
    const phone = await BrowserUser.create(browser);
    try {
      const pageDesk = new ChatPage(await desk.page(`http://127.0.0.1:${instance.port}/`));
      await pageDesk.register(carolName);
      const pagePhone = new ChatPage(await phone.page(`http://127.0.0.1:${instance.port}/`));
      await pagePhone.login(carolName);

      await pageDesk.byTestId('old-password').fill(PASSWORD);
      await pageDesk.byTestId('new-password').fill('carols-new-pass');
      await pageDesk.byTestId('password-change').click();
      await pageDesk.page.locator('[data-testid="banner"]', { hasText: 'Password changed' }).waitFor();
      await pagePhone.page
        .locator('[data-testid="signed-out"]', { hasText: 'signed out: The password was changed: please log in again' })
        .waitFor();
      expect(await pagePhone.page.evaluate(() => localStorage.getItem('chat.session'))).toBeNull();

      // The desk goes on with the token of the new password, also after a reload.
      await pageDesk.page.reload();
      await pageDesk.waitForState('connected');
      await pageDesk.page.locator('[data-testid="current-user"]', { hasText: carolName }).waitFor();
      const saved = await pageDesk.page.evaluate(
        () => JSON.parse(localStorage.getItem('chat.session') ?? 'null') as { token: string } | null,
      );
      expect(saved?.token).toEqual(expect.any(String));

      await pageDesk.byTestId('logout').click();
      await pageDesk.byTestId('auth-form').waitFor();
      expect(await pageDesk.page.evaluate(() => localStorage.getItem('chat.session'))).toBeNull();
      const resumed = await loggedInByToken(instance.wsUrl, saved!.token);
      expect(resumed).toMatchObject({ success: false, reason: 'Token revoked: please log in again' });
      await pagePhone.login(carolName, 'carols-new-pass');
      expect([...desk.problems, ...phone.problems]).toEqual([]);
    } finally {
      await desk.close();
      await phone.close();
    }
  });
});
