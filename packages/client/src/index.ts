export {
  ChatClient,
  type ChatClientOptions,
  type ChatSendResult,
  type ConversationSummary,
  type ConversationTarget,
  type ConversationsPage,
  type ConversationsQuery,
  type GroupInfo,
  type GroupSendResult,
  type HistoryQuery,
  type LoginResult,
  type MessageChangeResult,
  type PresenceQuery,
  type TypingTarget,
} from './chat-client';
export { type WebSocketConstructor, type WebSocketLike } from './connection';
export {
  type ChatClientEvents,
  type ClientState,
  type ClosedEvent,
  type GaveUpEvent,
  type GroupAddedEvent,
  type GroupRead,
  type MessageChangedEvent,
  type MovedEvent,
  type NoticeEvent,
  type ReadReceiptEvent,
  type ReconnectedEvent,
  type ReconnectingEvent,
  type TypingEvent,
} from './events';
export { toChatMessage, type ChatMessage, type DirectMessage, type GroupMessage, type MessageChanges } from './inbox';
export { PRESENCE_BATCH_LIMIT } from './presence';
export { newClientMessageId } from './outbox';
export { type ConnectivityEvents } from './reconnect';
export { ClientErrorCode, RequestError, type RequestErrorCode, type RequestOptions } from './requests';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff';
export { TypedEmitter, type Listener } from './typed-emitter';
export * from '../../../src/protocol';
