import { TrustedProxies, clientAddress } from './client-address';

const trusting = (...entries: string[]) => TrustedProxies.parse(entries).proxies;

describe('clientAddress', () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('::ffff:10.0.0.9', { 'x-forwarded-for': '1.2.3.4' }, trusting())).toBe('10.0.0.9');
  });

  it('is the peer when the peer is not a trusted proxy', () => {
    expect(clientAddress('10.0.0.9', { 'x-forwarded-for': '1.2.3.4' }, trusting('10.0.0.1'))).toBe('10.0.0.9');
  });

  it('is the right-most untrusted hop behind a trusted proxy, not what the client wrote on the left', () => {
    expect(clientAddress('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 1.2.3.4, 10.0.0.2' }, trusting('10.0.0.1', '10.0.0.2'))).toBe(
      '1.2.3.4',
    );
  });

  it('trusts CIDR ranges', () => {
    expect(clientAddress('::ffff:172.18.0.5', { 'x-forwarded-for': '1.2.3.4' }, trusting('172.16.0.0/12'))).toBe('1.2.3.4');
  });

  it('is the peer behind a trusted proxy that sent no header', () => {
    expect(clientAddress('::ffff:10.0.0.1', {}, trusting('10.0.0.1'))).toBe('10.0.0.1');
  });
});

describe('TrustedProxies.parse', () => {
  it('names the entries that are neither an address nor a range', () => {
    expect(
      TrustedProxies.parse(['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'nginx', '10.0.0.0/33', '1.2.3.4/x', '1.2.3.4/8/9']).invalid,
    ).toEqual(['nginx', '10.0.0.0/33', '1.2.3.4/x', '1.2.3.4/8/9']);
  });
});
