import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, ConsoleMessage, Page, chromium } from 'playwright-core';

/** Debian's chromium package; `.ci/run` installs it. Playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(__dirname, '..', '..', '..', 'test-artifacts');

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile (Playwright gives every launch its own user-data-dir). */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium (as .ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30000 });
}

/** A new browser context (its own storage, like another person's browser) and what its pages complain about. */
export class BrowserUser {
  readonly problems: string[] = [];

  private constructor(readonly context: BrowserContext) {}

  static async create(browser: Browser): Promise<BrowserUser> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15000);
    return new BrowserUser(context);
  }

  async page(url: string): Promise<Page> {
    const page = await this.context.newPage();
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message: ConsoleMessage) => {
      // Refused WebSocket connections are expected while instances move; policy violations never are.
      if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) this.problems.push(message.text());
    });
    await page.goto(url);
    return page;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
