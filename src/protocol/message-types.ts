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
  TypingRequest: 31,
  Typing: 32,
  ReadRequest: 33,
  ReadResponse: 34,
  ReadReceipt: 35,
  ConversationsRequest: 36,
  ConversationsResponse: 37,
  PresenceRequest: 38,
  PresenceResponse: 39,
  Presence: 40,
  EditRequest: 41,
  EditResponse: 42,
  RecallRequest: 43,
  RecallResponse: 44,
  MessageChanged: 45,
} as const;

export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * The types docs/protocol.md §3.2 reserves for a Hello exchange, the request and its response. No handler exists
 * for them: the server answers an Error frame, "Unknown messageType: 3", as it does for any type it does not know.
 */
export const RESERVED_HELLO_TYPES = [3, 4] as const;
