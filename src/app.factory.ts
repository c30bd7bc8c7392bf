import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { checkAccess } from './common/access';
import { handleCors } from './common/cors';
import { requestPath } from './common/envelope';
import { mapError } from './common/error-mapping';
import { parseJsonBody } from './common/json-body';
import { PinoLogger } from './common/pino-logger';
import { createValidationPipe } from './common/validation.pipe';
import { AppConfig } from './config/app-config';
import { ChatWsAdapter } from './gateway/chat-ws.adapter';
import { MetricsService } from './metrics/metrics.service';
import { setupSwagger } from './swagger';
import { RateLimitsService } from './limits/rate-limits.service';
import { R } from './common/envelope';
import { ErrorCode } from './common/error-codes';
import type { FastifyInstance } from 'fastify';

/** Every response that sets no policy of its own: it is data, never a page, a script or a frame. */
const DATA_POLICY = "default-src 'none'; frame-ancestors 'none'";
/** The Swagger UI pages: their own scripts and styles (some inline), no framing. */
const SWAGGER_POLICY =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function addSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    if (reply.hasHeader('content-security-policy')) return;
    const path = requestPath(request.url);
    const swaggerPage = path.startsWith('/swagger-ui') || path.startsWith('/doc.html');
    reply.header('content-security-policy', swaggerPage ? SWAGGER_POLICY : DATA_POLICY);
  });
}

/** HTTP_LIMIT_PER_ADDRESS: a 429 in the envelope with Retry-After. Health probes are never limited. */
function limitRequests(fastify: FastifyInstance, limits: RateLimitsService): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const path = requestPath(request.url);
    if (path === '/health' || path.startsWith('/health/')) return;
    const outcome = await limits.consume('httpPerAddress', request.ip);
    if (outcome.ok) return;
    await reply
      .status(429)
      .header('retry-after', String(outcome.retryAfterSeconds))
      .header('content-type', 'application/json; charset=utf-8')
      .send(R.of(ErrorCode.TooManyRequests, null, `Too many requests, please try again in ${outcome.retryAfterSeconds} s`, path));
  });
}

const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the application (not yet listening): the one place main.ts and tests share. */
export async function createApp(config: AppConfig, logger = new PinoLogger(config.logging.level)): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names (request.ip, the HTTP limits).
    trustProxy: config.http.trustProxy.length > 0 ? config.http.trustProxy : false,
    forceCloseConnections: true,
    // The router's own refusals (a malformed percent-encoding, a parameter over 100 characters) leave in the envelope too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const mapped = mapError(error, requestPath(request.url));
      void reply.status(mapped.status).header('content-type', 'application/json; charset=utf-8').send(mapped.envelope);
    },
  });
  const fastify = adapter.getInstance();
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger,
    bufferLogs: false,
    bodyParser: false,
  });
  app.useWebSocketAdapter(new ChatWsAdapter(app, config));
  app.useGlobalPipes(createValidationPipe());
  addSecurityHeaders(fastify);
  // Preflights first, then the per-address limit, then the token check: all before a body is read.
  handleCors(fastify, config.http.corsOrigins);
  limitRequests(fastify, app.get(RateLimitsService));
  checkAccess(fastify, config);

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
  });

  setupSwagger(app, config.http.swaggerUi);
  return app;
}
