import type { FastifyInstance } from 'fastify';
import { R, requestPath } from './envelope';
import { ErrorCode } from './error-codes';

/** What a page of an allowed origin may send: every method and request header the HTTP API uses. */
const ALLOWED_METHODS = 'GET, POST, PUT';
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Cluster-Token';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the origins CORS_ORIGINS lists (docs/protocol.md §7.1): their requests get
 * Access-Control-Allow-Origin and their preflights 204 with what they may send; a preflight from
 * any other origin is refused in the envelope (403) without a CORS header, so the browser stops.
 */
export function handleCors(fastify: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins);
  fastify.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    const permitted = typeof origin === 'string' && allowed.has(origin);
    reply.header('vary', 'Origin');
    if (permitted) reply.header('access-control-allow-origin', origin);
    const preflight = request.method === 'OPTIONS' && origin !== undefined && 'access-control-request-method' in request.headers;
    if (!preflight) return;
    if (!permitted) {
      await reply
        .status(403)
        .header('content-type', 'application/json; charset=utf-8')
        .send(R.of(ErrorCode.Forbidden, null, 'Origin not allowed by CORS_ORIGINS', requestPath(request.url)));
      return;
    }
    await reply
      .status(204)
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
      .header('content-length', '0')
      .send();
  });
}
