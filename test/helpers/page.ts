import { Instance } from './instance';

/** The `connect-src` directive of the chat page's Content-Security-Policy, as served by `instance`, split on spaces. */
export async function pageConnectSources(instance: Instance): Promise<string[]> {
  const page = await fetch(`http://127.0.0.1:${instance.port}/`);
  await page.arrayBuffer();
  return page.headers
    .get('content-security-policy')!
    .split('; ')
    .find((d) => d.startsWith('connect-src '))!
    .split(' ');
}
