/** The WebSocket message types (docs/protocol.md §3). */
export const MessageType = {
  Ping: 1,
  Pong: 2,
  ChatRequest: 5,
  ChatResponse: 6,
  GroupChatRequest: 7,
  GroupChatResponse: 8,
  GroupCreateRequest: 9,
  GroupCreateResponse: 10,
  GroupJoinRequest: 11,
  GroupJoinResponse: 12,
  GroupMembersRequest: 13,
  GroupMembersResponse: 14,
  GroupQuitRequest: 15,
  GroupQuitResponse: 16,
  LoginRequest: 17,
  LoginResponse: 18,
  RegisterRequest: 19,
  RegisterResponse: 20,
  ReBalance: 21,
  Ack: 22,
  HistoryRequest: 23,
  HistoryResponse: 24,
  Notice: 25,
  Error: 26,
  LogoutRequest: 27,
  LogoutResponse: 28,
  ChangePasswordRequest: 29,
  ChangePasswordResponse: 30,
} as const;

/**
 * The `code` of every refusal (a response with `success:false`), beside its `reason`
 * (docs/protocol.md §2.3): reasons are for people and may change, codes are for programs.
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
