import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RefusalCode } from '../protocol';
import { Result, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';

/** A token's claims once its signature and expiry are checked. */
export interface TokenClaims {
  username: string;
  epoch: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Session tokens: HS256 JWTs that every instance sharing JWT_SECRET accepts. */
@Injectable()
export class TokenService {
  constructor(private readonly config: AppConfig) {}

  /** `epoch`: the user's token epoch; a token of an older one is revoked. */
  sign(username: string, epoch: number, now = Date.now()): string {
    const issuedAt = Math.floor(now / 1000);
    const claims = { sub: username, ep: epoch, iat: issuedAt, exp: issuedAt + this.config.auth.tokenTtlSeconds };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${HEADER}.${payload}.${this.signature(`${HEADER}.${payload}`)}`;
  }

  verify(token: unknown, now = Date.now()): Result<TokenClaims> {
    const invalid = refused(RefusalCode.Unauthorized, 'Invalid token');
    if (typeof token !== 'string' || token.length > 4096) return invalid;
    const parts = token.split('.');
    if (parts.length !== 3) return invalid;
    const [header, payload, signature] = parts;
    // Only our own header is accepted: no `alg: none`, no algorithm switching.
    if (header !== HEADER) return invalid;
    const expected = Buffer.from(this.signature(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
    let claims: { sub?: unknown; exp?: unknown; ep?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; exp?: unknown; ep?: unknown };
    } catch {
      return invalid;
    }
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return invalid;
    if (claims.exp * 1000 <= now) return refused(RefusalCode.Unauthorized, 'Token expired');
    // Tokens issued before epochs existed carry none: they belong to epoch 0.
    const epoch = claims.ep ?? 0;
    if (!Number.isSafeInteger(epoch)) return invalid;
    return { ok: true, username: claims.sub, epoch: epoch as number };
  }

  private signature(input: string): string {
    return createHmac('sha256', this.config.auth.jwtSecret).update(input).digest('base64url');
  }
}
