import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address. */
function plain(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The proxies of TRUST_PROXY: IP addresses and CIDR ranges (`10.0.0.0/8`). */
export class TrustedProxies {
  private readonly list = new BlockList();

  private constructor(readonly size: number) {}

  /** The proxies, and the entries that are neither an IP address nor a CIDR range. */
  static parse(entries: readonly string[]): { proxies: TrustedProxies; invalid: string[] } {
    const proxies = new TrustedProxies(entries.length);
    const invalid: string[] = [];
    for (const entry of entries) {
      const [address, prefix, extra] = entry.split('/');
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      if (family === 0 || extra !== undefined || (bits !== undefined && (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)))) {
        invalid.push(entry);
        continue;
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) proxies.list.addAddress(address, type);
      else proxies.list.addSubnet(address, bits, type);
    }
    return { proxies, invalid };
  }

  trusts(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The client's address: the peer's, unless the peer is one of the trusted proxies; then the
 * right-most address of X-Forwarded-For that is not a trusted proxy itself (the left part of
 * the header is whatever the client wrote).
 */
export function clientAddress(peer: string | undefined, headers: IncomingHttpHeaders, trusted: TrustedProxies): string {
  const direct = plain(peer ?? '');
  if (trusted.size === 0 || !trusted.trusts(direct)) return direct;
  const header = headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => plain(hop.trim()))
    .filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.trusts(hops[i])) return hops[i];
  return hops[0] ?? direct;
}
