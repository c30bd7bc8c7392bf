import { createHmac } from 'node:crypto';
import { JWT_SECRET } from './environment';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a token the way a holder of JWT_SECRET (or an attacker without it) would. */
export function forgeToken(claims: Record<string, unknown>, options: { secret?: string; header?: Record<string, unknown> } = {}): string {
  const header = b64(options.header ?? { alg: 'HS256', typ: 'JWT' });
  const payload = b64(claims);
  if (options.header?.alg === 'none') return `${header}.${payload}.`;
  const signature = createHmac('sha256', options.secret ?? JWT_SECRET)
    .update(`${header}.${payload}`)
    .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
