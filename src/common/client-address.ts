import type { IncomingHttpHeaders } from 'node:http';

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address. */
function plain(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The client's address: the peer's, unless the peer is one of the trusted proxies; then the
 * right-most address of X-Forwarded-For that is not a trusted proxy itself (the left part of
 * the header is whatever the client wrote).
 */
export function clientAddress(peer: string | undefined, headers: IncomingHttpHeaders, trustedProxies: readonly string[]): string {
  const direct = plain(peer ?? '');
  if (trustedProxies.length === 0 || !trustedProxies.includes(direct)) return direct;
  const header = headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((hop) => plain(hop.trim())).filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.includes(hops[i])) return hops[i];
  return hops[0] ?? direct;
}
