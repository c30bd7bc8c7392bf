import { Instance } from '../helpers/instance';
import { uniqueName } from '../helpers/ws-client';
import { BrowserUser, screenshot } from './helpers/browser';
import { useBrowserFixture } from './helpers/browser-fixture';
import { ChatPage } from './helpers/pages';

/**
 * What two people see of each other on the chat page beyond the messages: presence dots, the
 * typing line, read ticks, unread counts from the server, edits and recalls. Once on one embedded
 * instance, once on two cluster instances (alice's page served by the first, bob's by the second),
 * so that every push crosses the bus. The tests of each run in order and share the people.
 */
describe.each([
  ['one embedded instance', 'embedded', 1],
  ['two cluster instances', 'cluster', 2],
] as const)('chat page: presence, typing, ticks, unread counts, edit and recall, %s', (title, mode, instances) => {
  const fixture = useBrowserFixture({ mode });
  const tag = mode === 'embedded' ? 'embedded' : 'cluster';
  let alice: BrowserUser;
  let bob: BrowserUser;
  let urlA: string;
  let urlB: string;
  let pageA: ChatPage;
  let pageB: ChatPage;
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');

  beforeAll(async () => {
    const [started] = await Promise.all([fixture.startMany(instances), fixture.launch()]);
    const [first, second]: Instance[] = [started[0], started[instances - 1]];
    urlA = `http://127.0.0.1:${first.port}/`;
    urlB = `http://127.0.0.1:${second.port}/`;
    alice = await fixture.person();
    bob = await fixture.person();
  }, 120000);

  it('shows the peer online, offline once their page is gone, and online again; ticks say sent or delivered', async () => {
    pageA = new ChatPage(await alice.page(urlA));
    pageB = new ChatPage(await bob.page(urlB));
    await pageA.register(nameA);
    await pageB.register(nameB);

    await pageA.startChat(nameB);
    await pageA.waitForPresence(nameB, 'online');
    expect(await pageA.byTestId('peer-presence').getAttribute('data-presence')).toBe('online');
    // Bob's page is open on no conversation: the message reaches it, unread.
    await pageA.send('first words');
    await pageA.waitForTicks('first words', 'delivered');
    await pageB.conversation('user', nameA).waitFor();
    await pageB.waitForPresence(nameA, 'online');

    await pageB.page.close();
    await pageA.waitForPresence(nameB, 'offline');
    expect(await pageA.presenceDot(nameB).getAttribute('aria-label')).toMatch(/^offline, last seen /);
    await pageA.send('while you were away');
    await pageA.waitForTicks('while you were away', 'sent');
    await screenshot(pageA.page, `chat-live-${tag}-offline-sent`);

    pageB = new ChatPage(await bob.page(urlB));
    await pageB.waitForState('connected');
    await pageA.waitForPresence(nameB, 'online');
    await pageB.waitForUnread('user', nameA, 2);
  });

  it('takes unread counts from the server on a device that never saw the messages', async () => {
    const device = await BrowserUser.create(fixture.browser);
    try {
      const fresh = new ChatPage(await device.page(urlB));
      await fresh.login(nameB);
      await fresh.conversation('user', nameA).waitFor();
      await fresh.waitForUnread('user', nameA, 2);
      await fresh.waitForPresence(nameA, 'online');
      expect(device.problems).toEqual([]);
    } finally {
      await device.close();
    }
  });

  it('marks the conversation read when bob opens it: alice sees the ticks turn read', async () => {
    await pageB.open('user', nameA);
    await pageB.waitForMessage('while you were away');
    await pageA.waitForTicks('first words', 'read');
    await pageA.waitForTicks('while you were away', 'read');
    expect(await pageB.unread('user', nameA).isVisible()).toBe(false);
    // A new message in the open, visible conversation is read at once.
    await pageA.send('read me now');
    await pageB.waitForMessage('read me now');
    await pageA.waitForTicks('read me now', 'read');
    await screenshot(pageA.page, `chat-live-${tag}-read-ticks`);
  });

  it('shows "typing…" while the other types, and hides it a few seconds after they stop', async () => {
    const line = pageA.byTestId('typing-line');
    expect(await line.getAttribute('aria-live')).toBe('polite');
    await pageB.byTestId('composer-input').pressSequentially('I am typ', { delay: 50 });
    await pageA.page.locator('[data-testid="typing-line"]', { hasText: `${nameB} is typing…` }).waitFor({ timeout: 5000 });
    await screenshot(pageA.page, `chat-live-${tag}-typing`);
    const shownAt = Date.now();
    await pageA.page.locator('[data-testid="typing-line"]:empty').waitFor({ timeout: 10000 });
    const hiddenAfter = Date.now() - shownAt;
    expect(hiddenAfter).toBeGreaterThan(2000);
    expect(hiddenAfter).toBeLessThan(8000);
    await pageB.byTestId('composer-input').fill('');
  });

  it('edits and recalls a message on both pages; only one’s own messages have the buttons', async () => {
    await pageA.edit('first words', 'first words, edited');
    for (const page of [pageA, pageB]) {
      await page.waitForMessage('first words, edited');
      await page.message('first words, edited').getByTestId('message-edited').waitFor();
    }
    // The MessageChanged push may reach this page before the edit's response, which closes the bar.
    await pageA.byTestId('edit-bar').waitFor({ state: 'hidden', timeout: 5000 });

    const recalled = await pageA.recall('while you were away');
    for (const page of [pageA, pageB]) {
      await page.messageById(recalled).getByTestId('message-recalled').waitFor();
      expect(await page.messageById(recalled).getByTestId('message-content').count()).toBe(0);
    }
    expect(await pageA.messageById(recalled).getByTestId('message-edit').count()).toBe(0);

    await pageB.send('my own reply');
    await pageA.waitForMessage('my own reply');
    expect(await pageA.message('my own reply').getByTestId('message-edit').count()).toBe(0);
    expect(await pageB.message('my own reply').getByTestId('message-edit').count()).toBe(1);
    expect(await pageB.message('my own reply').getByRole('button', { name: 'Recall message' }).count()).toBe(1);
    await screenshot(pageB.page, `chat-live-${tag}-edit-recall-bob`);
    await screenshot(pageA.page, `chat-live-${tag}-edit-recall-alice`);

    // After a reload, history shows the latest state.
    await pageB.page.reload();
    await pageB.waitForState('connected');
    await pageB.waitForMessage('first words, edited');
    await pageB.messageById(recalled).getByTestId('message-recalled').waitFor();
  });
});

/** An edit window shorter than the page's 15 minutes: the server refuses, and the page says why. */
describe('chat page: an edit the server refuses', () => {
  const fixture = useBrowserFixture({ mode: 'embedded', settings: { EDIT_WINDOW_SECONDS: '1' } });

  it('shows the refusal and keeps the edit open', async () => {
    const [instance] = await Promise.all([fixture.start(), fixture.launch()]);
    const url = `http://127.0.0.1:${instance.port}/`;
    const nameA = uniqueName('alice');
    const nameB = uniqueName('bob');
    const pageB = new ChatPage(await (await fixture.person()).page(url));
    await pageB.register(nameB);
    const pageA = new ChatPage(await (await fixture.person()).page(url));
    await pageA.register(nameA);
    await pageA.startChat(nameB);
    await pageA.send('too late to fix');
    await new Promise((resolve) => setTimeout(resolve, 1500));

    await pageA.edit('too late to fix', 'fixed');
    const banner = pageA.page.locator('[data-testid="banner"][data-kind="error"]', { hasText: /^Edit: / });
    await banner.waitFor();
    expect(await pageA.byTestId('edit-bar').isVisible()).toBe(true);
    await pageA.waitForMessage('too late to fix');
    await screenshot(pageA.page, 'chat-live-edit-refused');
  });
});
