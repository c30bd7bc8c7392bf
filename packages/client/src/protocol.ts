/** Frame shapes of the WebSocket protocol (docs/protocol.md §3), as seen by a client. */

/** The message types; the server's copy must match (src/common/protocol.spec.ts checks it). */
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
 * The `code` of every refusal, beside its `reason` (docs/protocol.md §2): reasons are for people,
 * codes for programs. The server's copy must match (src/common/protocol.spec.ts checks it).
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


interface FrameBase {
  sequenceId: number;
}

interface ServerFrameBase extends FrameBase {
  /** ISO-8601 with offset, set by the server on everything it sends. */
  time?: string;
}

interface ResponseBase extends ServerFrameBase {
  success: boolean;
  reason: string | null;
  /** On refusals (`success:false`) only. */
  code?: RefusalCode;
}

export interface PingFrame extends FrameBase {
  messageType: typeof MessageType.Ping;
  requestTime: number;
}

export interface ChatRequestFrame extends FrameBase {
  messageType: typeof MessageType.ChatRequest;
  to: string;
  content: string;
  from?: string;
  clientMessageId?: string;
}

export interface GroupChatRequestFrame extends FrameBase {
  messageType: typeof MessageType.GroupChatRequest;
  groupName: string;
  content: string;
  from?: string;
  clientMessageId?: string;
}

export interface GroupCreateRequestFrame extends FrameBase {
  messageType: typeof MessageType.GroupCreateRequest;
  groupName: string;
  members: string[];
}

export interface GroupJoinRequestFrame extends FrameBase {
  messageType: typeof MessageType.GroupJoinRequest;
  groupName: string;
  username?: string;
}

export interface GroupMembersRequestFrame extends FrameBase {
  messageType: typeof MessageType.GroupMembersRequest;
  groupName: string;
}

export interface GroupQuitRequestFrame extends FrameBase {
  messageType: typeof MessageType.GroupQuitRequest;
  groupName: string;
  username?: string;
}

export interface LoginRequestFrame extends FrameBase {
  messageType: typeof MessageType.LoginRequest;
  username?: string;
  password?: string;
  token?: string;
}

export interface RegisterRequestFrame extends FrameBase {
  messageType: typeof MessageType.RegisterRequest;
  username: string;
  password: string;
}

export interface AckFrame extends FrameBase {
  messageType: typeof MessageType.Ack;
  messageIds: string[];
}

export interface HistoryRequestFrame extends FrameBase {
  messageType: typeof MessageType.HistoryRequest;
  with?: string;
  groupName?: string;
  beforeId?: string;
  limit?: number;
}

export interface LogoutRequestFrame extends FrameBase {
  messageType: typeof MessageType.LogoutRequest;
  /** Also close the user's other sessions; every token of the user is revoked either way. */
  everywhere?: boolean;
}

export interface ChangePasswordRequestFrame extends FrameBase {
  messageType: typeof MessageType.ChangePasswordRequest;
  oldPassword: string;
  newPassword: string;
}

export type ClientFrame =
  | PingFrame
  | ChatRequestFrame
  | GroupChatRequestFrame
  | GroupCreateRequestFrame
  | GroupJoinRequestFrame
  | GroupMembersRequestFrame
  | GroupQuitRequestFrame
  | LoginRequestFrame
  | RegisterRequestFrame
  | AckFrame
  | HistoryRequestFrame
  | LogoutRequestFrame
  | ChangePasswordRequestFrame;

export interface PongFrame extends ServerFrameBase {
  messageType: typeof MessageType.Pong;
  requestTime: number;
}

export interface ChatResponseFrame extends ResponseBase {
  messageType: typeof MessageType.ChatResponse;
  from: string | null;
  to: string | null;
  /** null in the sender's acknowledgement, the text in a delivery. */
  content: string | null;
  messageId: string | null;
  delivered?: boolean;
  offline?: boolean;
}

export interface GroupChatResponseFrame extends ResponseBase {
  messageType: typeof MessageType.GroupChatResponse;
  from: string | null;
  groupName: string | null;
  content: string | null;
  messageId: string | null;
  offline?: boolean;
}

export interface GroupCreateResponseFrame extends ResponseBase {
  messageType: typeof MessageType.GroupCreateResponse;
  groupName: string;
  members: string[];
}

export interface GroupJoinResponseFrame extends ResponseBase {
  messageType: typeof MessageType.GroupJoinResponse;
  groupName: string;
}

export interface GroupMembersResponseFrame extends ResponseBase {
  messageType: typeof MessageType.GroupMembersResponse;
  groupName: string;
  members: string[];
}

export interface GroupQuitResponseFrame extends ResponseBase {
  messageType: typeof MessageType.GroupQuitResponse;
  groupName: string;
}

export interface LoginResponseFrame extends ResponseBase {
  messageType: typeof MessageType.LoginResponse;
  username: string | null;
  token: string | null;
}

export interface RegisterResponseFrame extends ResponseBase {
  messageType: typeof MessageType.RegisterResponse;
}

export interface ReBalanceFrame extends ServerFrameBase {
  messageType: typeof MessageType.ReBalance;
  success: boolean;
  host: string;
  url: string;
}

export interface HistoryResponseFrame extends ResponseBase {
  messageType: typeof MessageType.HistoryResponse;
  messages: Array<ChatResponseFrame | GroupChatResponseFrame>;
}

export interface NoticeFrame extends ServerFrameBase {
  messageType: typeof MessageType.Notice;
  reason: string | null;
}

export interface ErrorFrame extends ServerFrameBase {
  messageType: typeof MessageType.Error;
  success: false;
  reason: string | null;
  code?: RefusalCode;
}

export interface LogoutResponseFrame extends ResponseBase {
  messageType: typeof MessageType.LogoutResponse;
}

export interface ChangePasswordResponseFrame extends ResponseBase {
  messageType: typeof MessageType.ChangePasswordResponse;
  /** The session's new token (of the user's new token epoch); null on a refusal. */
  token: string | null;
}

export type ServerFrame =
  | PongFrame
  | ChatResponseFrame
  | GroupChatResponseFrame
  | GroupCreateResponseFrame
  | GroupJoinResponseFrame
  | GroupMembersResponseFrame
  | GroupQuitResponseFrame
  | LoginResponseFrame
  | RegisterResponseFrame
  | ReBalanceFrame
  | HistoryResponseFrame
  | NoticeFrame
  | ErrorFrame
  | LogoutResponseFrame
  | ChangePasswordResponseFrame;

export type ServerFrameOf<T extends ServerFrame['messageType']> = Extract<ServerFrame, { messageType: T }>;
