/** Frame shapes of the WebSocket protocol (docs/protocol.md §3), the builders of shared frames and the request→response table. */
import { MessageType } from './message-types';
import { RefusalCode } from './refusal-codes';
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

/** Says the sender is typing to a peer (`to`) or in a group (`groupName`); no response. */
export interface TypingRequestFrame extends FrameBase {
  messageType: typeof MessageType.TypingRequest;
  to?: string;
  groupName?: string;
}

/** Moves the reader's read position in a conversation forward, up to and including `messageId`. */
export interface ReadRequestFrame extends FrameBase {
  messageType: typeof MessageType.ReadRequest;
  with?: string;
  groupName?: string;
  messageId: string;
}

export interface ConversationsRequestFrame extends FrameBase {
  messageType: typeof MessageType.ConversationsRequest;
  /** 1..100. */
  limit?: number;
  /** The `next` cursor of the previous page. */
  before?: string;
}

export interface PresenceRequestFrame extends FrameBase {
  messageType: typeof MessageType.PresenceRequest;
  /** At most 200. */
  usernames: string[];
  /** Also push Presence (40) when one of them comes online or goes offline, until the connection ends. */
  subscribe?: boolean;
}

export interface EditRequestFrame extends FrameBase {
  messageType: typeof MessageType.EditRequest;
  messageId: string;
  content: string;
}

export interface RecallRequestFrame extends FrameBase {
  messageType: typeof MessageType.RecallRequest;
  messageId: string;
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
  | ChangePasswordRequestFrame
  | TypingRequestFrame
  | ReadRequestFrame
  | ConversationsRequestFrame
  | PresenceRequestFrame
  | EditRequestFrame
  | RecallRequestFrame;

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
  /** ISO-8601: when the message was last edited or recalled; absent when it never was. */
  editedAt?: string;
  /** Recalled by its sender: `content` is null. Absent otherwise. */
  recalled?: true;
}

export interface GroupChatResponseFrame extends ResponseBase {
  messageType: typeof MessageType.GroupChatResponse;
  from: string | null;
  groupName: string | null;
  content: string | null;
  messageId: string | null;
  offline?: boolean;
  /** As in ChatResponseFrame. */
  editedAt?: string;
  recalled?: true;
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

export interface TypingFrame extends ServerFrameBase {
  messageType: typeof MessageType.Typing;
  from: string;
  /** 1:1: the peer typed to (the recipient's own name). */
  to?: string;
  groupName?: string;
}

export interface ReadResponseFrame extends ResponseBase {
  messageType: typeof MessageType.ReadResponse;
  with: string | null;
  groupName: string | null;
  /** The read position after the request (it never moves back). */
  messageId: string | null;
}

export interface ReadReceiptFrame extends ServerFrameBase {
  messageType: typeof MessageType.ReadReceipt;
  /** Who read. */
  from: string;
  /** 1:1: the other party of the conversation, as seen by the receiver of this push. */
  with?: string;
  groupName?: string;
  messageId: string;
  /** Groups only: every read of the coalescing window (the latest last, as in `from`/`messageId`). */
  reads?: Array<{ from: string; messageId: string }>;
}

export interface ConversationEntry {
  with?: string;
  groupName?: string;
  lastMessage: ChatResponseFrame | GroupChatResponseFrame;
  /** Messages from others after the user's read position. */
  unread: number;
  readUpTo: string | null;
  /** 1:1 only: the peer's read position. */
  peerReadUpTo?: string | null;
}

export interface ConversationsResponseFrame extends ResponseBase {
  messageType: typeof MessageType.ConversationsResponse;
  conversations: ConversationEntry[];
  /** The cursor of the next page; null on the last one. */
  next: string | null;
}

export interface PresenceEntry {
  username: string;
  online: boolean;
  /** ISO-8601: when the user's last session closed; null if never seen. */
  lastSeen: string | null;
}

export interface PresenceResponseFrame extends ResponseBase {
  messageType: typeof MessageType.PresenceResponse;
  presence: PresenceEntry[];
}

export interface PresenceFrame extends ServerFrameBase, PresenceEntry {
  messageType: typeof MessageType.Presence;
}

export interface EditResponseFrame extends ResponseBase {
  messageType: typeof MessageType.EditResponse;
  messageId: string | null;
  editedAt: string | null;
}

export interface RecallResponseFrame extends ResponseBase {
  messageType: typeof MessageType.RecallResponse;
  messageId: string | null;
  editedAt: string | null;
}

export interface MessageChangedFrame extends ServerFrameBase {
  messageType: typeof MessageType.MessageChanged;
  messageId: string;
  /** The sender of the message. */
  from: string;
  /** 1:1: the recipient of the message. */
  to?: string;
  groupName?: string;
  /** The new text (edit); absent on a recall. */
  content?: string;
  recalled?: true;
  editedAt: string;
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
  | ChangePasswordResponseFrame
  | TypingFrame
  | ReadResponseFrame
  | ReadReceiptFrame
  | ConversationsResponseFrame
  | PresenceResponseFrame
  | PresenceFrame
  | EditResponseFrame
  | RecallResponseFrame
  | MessageChangedFrame;

export type ServerFrameOf<T extends ServerFrame['messageType']> = Extract<ServerFrame, { messageType: T }>;

/** Each request type's response type; null for Ack (22) and TypingRequest (31), which have none. */
export const RESPONSE_TYPE: Readonly<Record<number, number | null>> = {
  [MessageType.Ping]: MessageType.Pong,
  [MessageType.ChatRequest]: MessageType.ChatResponse,
  [MessageType.GroupChatRequest]: MessageType.GroupChatResponse,
  [MessageType.GroupCreateRequest]: MessageType.GroupCreateResponse,
  [MessageType.GroupJoinRequest]: MessageType.GroupJoinResponse,
  [MessageType.GroupMembersRequest]: MessageType.GroupMembersResponse,
  [MessageType.GroupQuitRequest]: MessageType.GroupQuitResponse,
  [MessageType.LoginRequest]: MessageType.LoginResponse,
  [MessageType.RegisterRequest]: MessageType.RegisterResponse,
  [MessageType.Ack]: null,
  [MessageType.HistoryRequest]: MessageType.HistoryResponse,
  [MessageType.LogoutRequest]: MessageType.LogoutResponse,
  [MessageType.ChangePasswordRequest]: MessageType.ChangePasswordResponse,
  [MessageType.TypingRequest]: null,
  [MessageType.ReadRequest]: MessageType.ReadResponse,
  [MessageType.ConversationsRequest]: MessageType.ConversationsResponse,
  [MessageType.PresenceRequest]: MessageType.PresenceResponse,
  [MessageType.EditRequest]: MessageType.EditResponse,
  [MessageType.RecallRequest]: MessageType.RecallResponse,
};

/** The fields of each response type, empty, so that a refusal has the shape of its response. */
export const REFUSAL_FIELDS: Readonly<Record<number, Readonly<Record<string, unknown>>>> = {
  [MessageType.ChatResponse]: { from: null, to: null, content: null, messageId: null, delivered: false, offline: false },
  [MessageType.GroupChatResponse]: { from: null, groupName: null, content: null, messageId: null, offline: false },
  [MessageType.GroupCreateResponse]: { groupName: null, members: null },
  [MessageType.GroupJoinResponse]: { groupName: null },
  [MessageType.GroupMembersResponse]: { groupName: null, members: null },
  [MessageType.GroupQuitResponse]: { groupName: null },
  [MessageType.LoginResponse]: { username: null, token: null },
  [MessageType.HistoryResponse]: { messages: [] },
  [MessageType.ChangePasswordResponse]: { token: null },
  [MessageType.ReadResponse]: { with: null, groupName: null, messageId: null },
  [MessageType.ConversationsResponse]: { conversations: [], next: null },
  [MessageType.PresenceResponse]: { presence: [] },
  [MessageType.EditResponse]: { messageId: null, editedAt: null },
  [MessageType.RecallResponse]: { messageId: null, editedAt: null },
};

/** A stored 1:1 message as it travels. */
export interface StoredChatMessage {
  sequenceId: number;
  from: string;
  to: string | null;
  content: string;
  messageId: string;
  /** ISO-8601, when the server stored it. */
  time: string;
  /** ISO-8601, when it was last edited or recalled; null or absent when never. */
  editedAt?: string | null;
  recalled?: boolean;
}

/** The latest state of an edited or recalled message, on its type 6 or 8 object: `editedAt`, and `recalled` with content null. */
export function changedFields(editedAt: string | null | undefined, recalled: boolean | undefined): { editedAt?: string; recalled?: true } {
  if (recalled) return { editedAt: editedAt ?? undefined, recalled: true };
  return editedAt ? { editedAt } : {};
}

/** A 1:1 message as type 6, the shape of deliveries, offline replay and history. */
export function chatMessageFrame(message: StoredChatMessage, offline: boolean): ChatResponseFrame {
  return {
    messageType: MessageType.ChatResponse,
    sequenceId: message.sequenceId,
    success: true,
    reason: null,
    from: message.from,
    to: message.to,
    content: message.recalled ? null : message.content,
    messageId: message.messageId,
    delivered: true,
    offline,
    time: message.time,
    ...changedFields(message.editedAt, message.recalled),
  };
}

/** A message's new state as the MessageChanged (45) push: the new text of an edit, or `recalled`. */
export function messageChangedFrame(change: {
  messageId: string;
  from: string;
  to: string | null;
  groupName: string | null;
  content: string;
  recalled: boolean;
  editedAt: string;
}): MessageChangedFrame {
  return {
    messageType: MessageType.MessageChanged,
    sequenceId: 0,
    messageId: change.messageId,
    from: change.from,
    ...(change.groupName !== null ? { groupName: change.groupName } : { to: change.to ?? undefined }),
    ...(change.recalled ? { recalled: true } : { content: change.content }),
    editedAt: change.editedAt,
  };
}
