export {
  ChatClient,
  type ChatClientOptions,
  type ChatSendResult,
  type GroupInfo,
  type GroupSendResult,
  type HistoryQuery,
  type LoginResult,
} from './chat-client';
export { type WebSocketConstructor, type WebSocketLike } from './connection';
export {
  type ChatClientEvents,
  type ClientState,
  type ClosedEvent,
  type GaveUpEvent,
  type GroupAddedEvent,
  type MovedEvent,
  type NoticeEvent,
  type ReconnectedEvent,
  type ReconnectingEvent,
} from './events';
export { toChatMessage, type ChatMessage, type DirectMessage, type GroupMessage } from './inbox';
export { newClientMessageId } from './outbox';
export { type ConnectivityEvents } from './reconnect';
export { ClientErrorCode, RequestError, type RequestErrorCode, type RequestOptions } from './requests';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff';
export { TypedEmitter, type Listener } from './typed-emitter';
export * from '../../../src/protocol';
