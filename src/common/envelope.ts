import { ApiProperty } from '@nestjs/swagger';
import { ErrorCode } from './error-codes';

/** The `R<T>` envelope that wraps every HTTP response (docs/protocol.md §7.1). */
export class R<T = unknown> {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    description: 'Response code: 0 success, -1 internal, -9 validation, -10 refused, 401, 403, 404, 429',
    example: 0,
  })
  code: number;

  data: T | null;

  @ApiProperty({ description: 'Message', example: '' })
  msg: string;

  @ApiProperty({ description: 'Request path', example: '/port' })
  path: string;

  @ApiProperty({ description: 'Extra data', type: 'object', additionalProperties: true, example: {} })
  extra: Record<string, unknown>;

  @ApiProperty({ type: 'integer', format: 'int64', description: 'Epoch milliseconds', example: 1764182400000 })
  timestamp: number;

  @ApiProperty({ example: true })
  isSuccess: boolean;

  @ApiProperty({ example: false })
  isError: boolean;

  static of<T>(code: number, data: T | null, msg: string, path: string): R<T> {
    const envelope = new R<T>();
    envelope.code = code;
    envelope.data = data;
    envelope.msg = msg;
    envelope.path = path;
    envelope.extra = {};
    envelope.timestamp = Date.now();
    envelope.isSuccess = code === ErrorCode.Ok || code === 200;
    envelope.isError = !envelope.isSuccess;
    return envelope;
  }

  static ok<T>(data: T, path: string): R<T> {
    return R.of(ErrorCode.Ok, data, 'ok', path);
  }
}

/** The request path without its query string. */
export function requestPath(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
