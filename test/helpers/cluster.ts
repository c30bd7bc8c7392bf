import { Instance } from './instance';

/** What the instances of a cluster ask of each other and serve about it, as the suites read it. */

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

/** The connections of `instance` in the instance list of `asked`; -1 while it is not listed. */
export async function connectionsOn(asked: Instance, instance: Instance): Promise<number> {
  const list = (await asked.http<{ host: string; connections: number }[]>('GET', '/cluster/instances', { auth: 'admin' })).body.data;
  return list.find((i) => i.host === instance.host)?.connections ?? -1;
}

/** The order a rebalancing instance sends: `from` is to move `count` of its clients to `host`. */
export function moveOrder(from: Instance, host: string, count = 1) {
  return from.http<boolean>('POST', `/reBalance/handler?host=${encodeURIComponent(host)}&reBalanceNumber=${count}`, { auth: 'cluster' });
}
