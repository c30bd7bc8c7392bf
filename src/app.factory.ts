import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { requestPath } from './common/envelope';
import { mapError } from './common/error-mapping';
import { parseJsonBody } from './common/json-body';
import { PinoLogger } from './common/pino-logger';
import { createValidationPipe } from './common/validation.pipe';
import { AppConfig } from './config/app-config';
import { ChatWsAdapter } from './gateway/chat-ws.adapter';
import { MetricsService } from './metrics/metrics.service';
import { setupSwagger } from './swagger';

const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the application (not yet listening): the one place main.ts and tests share. */
export async function createApp(config: AppConfig, logger = new PinoLogger(config.logLevel)): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: true,
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

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, { logger, bufferLogs: false, bodyParser: false });
  app.useWebSocketAdapter(new ChatWsAdapter(app, config));
  app.useGlobalPipes(createValidationPipe());
  app.enableCors();

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
  });

  setupSwagger(app);
  return app;
}

