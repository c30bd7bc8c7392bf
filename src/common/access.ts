import { applyDecorators } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { ApiErrorR } from './api-envelope.decorator';
import { R, requestPath } from './envelope';
import { ErrorCode } from './error-codes';

export type AccessLevel = 'admin' | 'cluster';

/** Compares two secrets in time independent of where they differ and of their lengths. */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Puts the access level in the Fastify route config of a route, or of every route of a
 * controller, where the onRequest check reads it before the body is read. Method decorators run
 * before class ones, so a route's own level is already there and wins over its controller's.
 */
function routeAccess(level: AccessLevel): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const methods = descriptor
      ? [descriptor.value as object]
      : Object.values(Object.getOwnPropertyDescriptors((target as { prototype: object }).prototype))
          .map((property) => property.value as unknown)
          .filter((value): value is object => typeof value === 'function' && value !== target);
    for (const method of methods) {
      if (Reflect.hasOwnMetadata(FASTIFY_ROUTE_CONFIG_METADATA, method)) continue;
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { access: level }, method);
    }
  };
}

const UNAUTHORIZED = 'Missing or invalid token';
const ADMIN_NEEDED = 'This route needs the admin token';

/** Admin routes take `Authorization: Bearer ADMIN_TOKEN`. */
export const AdminOnly = () =>
  applyDecorators(
    routeAccess('admin'),
    ApiBearerAuth('admin'),
    ApiErrorR(401, ErrorCode.Unauthorized, UNAUTHORIZED),
    ApiErrorR(403, ErrorCode.Forbidden, `${ADMIN_NEEDED} (the cluster token was given)`),
  );

/** Cluster routes take `X-Cluster-Token: CLUSTER_TOKEN` or the admin bearer. */
export const ClusterAccess = () =>
  applyDecorators(
    routeAccess('cluster'),
    ApiSecurity('cluster'),
    ApiBearerAuth('admin'),
    ApiErrorR(401, ErrorCode.Unauthorized, UNAUTHORIZED),
  );

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

/** Why a caller may not use a route of this level (401 or 403), or undefined when it may. */
export function accessRefusal(level: AccessLevel, caller: Caller): { status: 401 | 403; msg: string } | undefined {
  if (caller === 'anonymous' || caller === 'invalid') return { status: 401, msg: UNAUTHORIZED };
  if (caller === 'admin' || level === 'cluster') return undefined;
  return { status: 403, msg: ADMIN_NEEDED };
}

/**
 * The access check of admin and cluster routes, in onRequest: a caller without the token is
 * refused (401, 403) before its body is read, so a malformed body tells it nothing.
 */
export function checkAccess(fastify: FastifyInstance, config: AppConfig): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const level = (request.routeOptions.config as { access?: AccessLevel }).access;
    if (!level) return;
    const refusal = accessRefusal(level, identifyCaller(request.headers, config));
    if (!refusal) return;
    const code = refusal.status === 401 ? ErrorCode.Unauthorized : ErrorCode.Forbidden;
    await reply
      .status(refusal.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(R.of(code, null, refusal.msg, requestPath(request.url)));
  });
}
