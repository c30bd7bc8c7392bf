import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable, map } from 'rxjs';
import { R, requestPath } from './envelope';

/** Wraps every controller result in `R<T>`. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const path = requestPath(context.switchToHttp().getRequest<FastifyRequest>().url);
    return next.handle().pipe(map((data: unknown) => (data instanceof R ? data : R.ok(data ?? null, path))));
  }
}
