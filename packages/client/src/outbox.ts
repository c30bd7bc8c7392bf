import { WebSocketLike, isOpen, write } from './connection';
import { ChatRequestFrame, GroupChatRequestFrame, MessageType, ServerFrame, ServerFrameOf } from '../../../src/protocol';
import { RequestError, RequestOptions, Requests, abortedError, arm, notConnectedError } from './requests';

export type ChatSendFrame = Omit<ChatRequestFrame, 'sequenceId'> | Omit<GroupChatRequestFrame, 'sequenceId'>;

export interface OutboxEntry {
  frame: ChatSendFrame;
  responseType: typeof MessageType.ChatResponse | typeof MessageType.GroupChatResponse;
  /** The sequenceId of the transmission awaiting its ack, if one is in flight. */
  sentAs?: number;
  /** A timeout given with the send counts from the call; otherwise each transmission is timed on its own. */
  ownDeadline: boolean;
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
}

/** What the outbox needs to know of the client's connection. */
export interface OutboxLink {
  /** The socket to transmit on, or null while the connection is not usable. */
  readySocket(): WebSocketLike | null;
  closed(): boolean;
}

export function newClientMessageId(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof webCrypto?.randomUUID === 'function') return webCrypto.randomUUID();
  let id = '';
  while (id.length < 32) id += Math.random().toString(36).slice(2);
  return id.slice(0, 32);
}

/** Chat sends until acknowledged: each is transmitted again on every usable connection until it is. */
export class Outbox {
  private readonly entries = new Set<OutboxEntry>();

  constructor(
    private readonly requests: Requests,
    private readonly requestTimeoutMs: number,
    private readonly link: OutboxLink,
  ) {}

  enqueue<T extends OutboxEntry['responseType']>(
    frame: ChatSendFrame,
    responseType: T,
    options: RequestOptions,
  ): Promise<ServerFrameOf<T>> {
    return new Promise<ServerFrameOf<T>>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(abortedError(responseType));
        return;
      }
      if (this.link.closed()) {
        reject(notConnectedError(responseType));
        return;
      }
      const stop = arm(options.timeout, options.signal, responseType, (error) => {
        this.withdraw(entry);
        reject(error);
      });
      const entry: OutboxEntry = {
        frame,
        responseType,
        ownDeadline: options.timeout !== undefined,
        resolve: (answer) => {
          stop();
          resolve(answer as ServerFrameOf<T>);
        },
        reject: (error) => {
          stop();
          reject(error);
        },
      };
      this.entries.add(entry);
      this.transmit(entry);
    });
  }

  /** Transmits what is not in flight, on a connection that has just become usable. */
  flush(): void {
    for (const entry of this.entries) if (entry.sentAs === undefined) this.transmit(entry);
  }

  /** The client closed: every send rejects. */
  rejectAll(lost: (messageType: number) => RequestError): void {
    for (const entry of this.entries) entry.reject(lost(entry.responseType));
    this.entries.clear();
  }

  /** Forgets a send given up on: out of the outbox, and its transmission, if any, no longer awaited. */
  private withdraw(entry: OutboxEntry): void {
    this.entries.delete(entry);
    if (entry.sentAs === undefined) return;
    this.requests.forget(entry.sentAs);
    entry.sentAs = undefined;
  }

  private transmit(entry: OutboxEntry): void {
    const socket = this.link.readySocket();
    if (!isOpen(socket)) return;
    const sequenceId = this.requests.nextSequenceId();
    entry.sentAs = sequenceId;
    const request = {
      responseType: entry.responseType,
      socket,
      outbox: entry,
      resolve: (frame: ServerFrame) => {
        this.entries.delete(entry);
        entry.resolve(frame);
      },
      reject: (error: Error) => {
        this.entries.delete(entry);
        entry.reject(error);
      },
    };
    this.requests.track(sequenceId, request, entry.ownDeadline ? undefined : this.requestTimeoutMs);
    write(socket, { ...entry.frame, sequenceId });
  }
}
