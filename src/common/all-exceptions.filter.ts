import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestPath } from './envelope';
import { mapError } from './error-mapping';

/** The one filter: every error leaves as the envelope, and only unexpected ones are logged. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const mapped = mapError(error, requestPath(request.url));
    if (mapped.unexpected) {
      this.logger.error(`${request.method} ${mapped.envelope.path} failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
    void reply.status(mapped.status).header('content-type', 'application/json; charset=utf-8').send(mapped.envelope);
  }
}
