import { HttpException, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import { BusinessException } from './business.exception';
import { R } from './envelope';
import { ErrorCode, INTERNAL_ERROR_MESSAGE } from './error-codes';
import { Refused } from './refusal';

export interface MappedError {
  status: number;
  envelope: R<null>;
  /** True when the error is not one of ours: it is logged with its stack, which the client never sees. */
  unexpected: boolean;
}

/** A failed input check; `message` names the first failing field. */
export class ValidationFailedException extends HttpException {
  constructor(message: string) {
    super(message, HttpStatus.BAD_REQUEST);
  }
}

/** The HTTP edge's one mapping of a service's refusal: bad input -9 (400), a refused operation -10, a busy dependency 503. */
export function refusalError(refusal: Refused): Error {
  switch (refusal.kind) {
    case 'invalid':
      return new ValidationFailedException(refusal.reason);
    case 'refused':
      return new BusinessException(refusal.reason);
    case 'unavailable':
      return new ServiceUnavailableException(refusal.reason);
  }
}

function httpMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return String(message[0] ?? error.message);
  return typeof message === 'string' ? message : error.message;
}

/** Fastify's own errors (body parsing, content type, size) carry a statusCode and a FST_ code. */
function fastifyStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { statusCode?: unknown; code?: unknown };
  if (typeof candidate.statusCode === 'number' && typeof candidate.code === 'string' && candidate.code.startsWith('FST_')) {
    return candidate.statusCode;
  }
  return undefined;
}

function fastifyMessage(error: { code?: string; message?: string }): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is not valid JSON';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    case 'FST_ERR_CTP_BODY_TOO_DEEP':
      return error.message ?? 'Request body is nested too deeply';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported content type';
    case 'FST_ERR_BAD_URL':
      return 'Malformed URL: a bad percent-encoding';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'A path parameter is longer than 100 characters';
    default:
      return 'Bad request';
  }
}

/** Maps any error to the envelope and HTTP status of docs/protocol.md §7.1. */
export function mapError(error: unknown, path: string): MappedError {
  const build = (status: number, code: number, msg: string, unexpected = false): MappedError => ({
    status,
    envelope: R.of<null>(code, null, msg, path),
    unexpected,
  });

  if (error instanceof BusinessException) return build(HttpStatus.OK, ErrorCode.OperationFailed, error.reason);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const message = httpMessage(error);
    switch (status) {
      case HttpStatus.UNAUTHORIZED:
        return build(401, ErrorCode.Unauthorized, message || 'Unauthorized');
      case HttpStatus.FORBIDDEN:
        return build(403, ErrorCode.Forbidden, message || 'Forbidden');
      case HttpStatus.NOT_FOUND:
      case HttpStatus.METHOD_NOT_ALLOWED:
        return build(404, ErrorCode.NotFound, 'No such route');
      case HttpStatus.TOO_MANY_REQUESTS:
        return build(429, ErrorCode.TooManyRequests, 'Too many requests');
      case HttpStatus.SERVICE_UNAVAILABLE:
        return build(503, ErrorCode.Internal, message || INTERNAL_ERROR_MESSAGE);
      default:
        if (status >= 400 && status < 500) return build(400, ErrorCode.Validation, message || 'Bad request');
        return build(500, ErrorCode.Internal, INTERNAL_ERROR_MESSAGE, true);
    }
  }
  const fastify = fastifyStatus(error);
  if (fastify !== undefined) {
    if (fastify === 404 || fastify === 405) return build(404, ErrorCode.NotFound, 'No such route');
    if (fastify === 429) return build(429, ErrorCode.TooManyRequests, 'Too many requests');
    if (fastify >= 400 && fastify < 500) {
      return build(400, ErrorCode.Validation, fastifyMessage(error as { code?: string }));
    }
  }
  return build(500, ErrorCode.Internal, INTERNAL_ERROR_MESSAGE, true);
}
