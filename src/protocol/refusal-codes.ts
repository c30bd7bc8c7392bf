/**
 * The `code` of every refusal (a response with `success:false`), beside its `reason`
 * (docs/protocol.md §2): reasons are for people and may change, codes are for programs.
 */
export const RefusalCode = {
  InvalidArgument: 'invalid_argument',
  NotLoggedIn: 'not_logged_in',
  BadCredentials: 'bad_credentials',
  AccountLocked: 'account_locked',
  AccountDisabled: 'account_disabled',
  Unauthorized: 'unauthorized',
  RateLimited: 'rate_limited',
  NotFound: 'not_found',
  Forbidden: 'forbidden',
  Conflict: 'conflict',
  LimitExceeded: 'limit_exceeded',
  ServerBusy: 'server_busy',
  Internal: 'internal',
} as const;

export type RefusalCode = (typeof RefusalCode)[keyof typeof RefusalCode];
