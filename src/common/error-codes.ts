/** Envelope codes (docs/protocol.md §7.1). */
export enum ErrorCode {
  Ok = 0,
  Internal = -1,
  Validation = -9,
  OperationFailed = -10,
  Unauthorized = 401,
  Forbidden = 403,
  NotFound = 404,
  TooManyRequests = 429,
}

export const INTERNAL_ERROR_MESSAGE = 'System busy, please try again later';
