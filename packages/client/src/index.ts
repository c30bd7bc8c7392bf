export {
  ChatClient,
  ClientErrorCode,
  RequestError,
  newClientMessageId,
  toChatMessage,
  type ChatClientEvents,
  type ChatClientOptions,
  type ChatMessage,
  type ChatSendResult,
  type ClientState,
  type ClosedEvent,
  type DirectMessage,
  type GroupAddedEvent,
  type GroupInfo,
  type GroupMessage,
  type GroupSendResult,
  type HistoryQuery,
  type LoginResult,
  type MovedEvent,
  type NoticeEvent,
  type RequestErrorCode,
  type RequestOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './chat-client';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff';
export { TypedEmitter, type Listener } from './typed-emitter';
export * from './protocol';
