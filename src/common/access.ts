import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';

export type AccessLevel = 'admin' | 'cluster';
const ACCESS_KEY = 'chat:access';

/** Compares two secrets in time independent of where they differ and of their lengths. */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Admin routes take `Authorization: Bearer ADMIN_TOKEN`. */
export const AdminOnly = () =>
  applyDecorators(SetMetadata(ACCESS_KEY, 'admin' satisfies AccessLevel), ApiBearerAuth('admin'));

/** Cluster routes take `X-Cluster-Token: CLUSTER_TOKEN` or the admin bearer. */
export const ClusterAccess = () =>
  applyDecorators(SetMetadata(ACCESS_KEY, 'cluster' satisfies AccessLevel), ApiSecurity('cluster'), ApiBearerAuth('admin'));

export type Caller = 'admin' | 'cluster' | 'anonymous' | 'invalid';

export function identifyCaller(headers: FastifyRequest['headers'], config: AppConfig): Caller {
  const authorization = headers.authorization;
  const clusterHeader = headers['x-cluster-token'];
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization)?.[1].trim() : undefined;
  if (bearer !== undefined && secretEquals(bearer, config.auth.adminToken)) return 'admin';
  if (typeof clusterHeader === 'string' && clusterHeader.length > 0) {
    return secretEquals(clusterHeader, config.auth.clusterToken) ? 'cluster' : 'invalid';
  }
  return authorization ? 'invalid' : 'anonymous';
}

/** The global guard: public unless a route is marked admin or cluster. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const level = this.reflector.getAllAndOverride<AccessLevel | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (!level) return true;
    const caller = identifyCaller(context.switchToHttp().getRequest<FastifyRequest>().headers, this.config);
    if (caller === 'anonymous' || caller === 'invalid') throw new UnauthorizedException('Missing or invalid token');
    if (caller === 'admin') return true;
    if (level === 'cluster') return true;
    throw new ForbiddenException('This route needs the admin token');
  }
}
