import { clientAddress } from './client-address';

describe('clientAddress', () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('::ffff:10.0.0.9', { 'x-forwarded-for': '1.2.3.4' }, [])).toBe('10.0.0.9');
  });

  it('is the peer when the peer is not a trusted proxy', () => {
    expect(clientAddress('10.0.0.9', { 'x-forwarded-for': '1.2.3.4' }, ['10.0.0.1'])).toBe('10.0.0.9');
  });

  it('is the right-most untrusted hop behind a trusted proxy, not what the client wrote on the left', () => {
    expect(clientAddress('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 1.2.3.4, 10.0.0.2' }, ['10.0.0.1', '10.0.0.2'])).toBe('1.2.3.4');
  });

  it('is the peer behind a trusted proxy that sent no header', () => {
    expect(clientAddress('::ffff:10.0.0.1', {}, ['10.0.0.1'])).toBe('10.0.0.1');
  });
});
