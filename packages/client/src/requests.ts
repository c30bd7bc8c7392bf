import { WebSocketLike, isOpen, write } from './connection';
import type { OutboxEntry } from './outbox';
import { ClientFrame, MessageType, RefusalCode, ServerFrame, ServerFrameOf } from '../../../src/protocol';

/** Why a request failed on the client's side, without an answer from the server. */
export const ClientErrorCode = {
  /** No answer within the request's timeout. */
  Timeout: 'timeout',
  /** Its AbortSignal was aborted. */
  Aborted: 'aborted',
  /** The connection it was sent on was lost, or the client was closed: it may or may not have been served. */
  Disconnected: 'disconnected',
  /** Made while the client had no usable connection: it was never sent. */
  NotConnected: 'not_connected',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];
const CLIENT_ERROR_CODES = new Set<string>(Object.values(ClientErrorCode));
export type RequestErrorCode = RefusalCode | ClientErrorCode;

/**
 * A failed request: refused by the server (a response with `success:false`, or an Error frame),
 * with the server's `code`, or given up by the client, with a `ClientErrorCode`.
 */
export class RequestError extends Error {
  constructor(
    readonly reason: string,
    /** The response type (or 26): the one received, or for a client-side failure the one awaited. */
    readonly messageType: number,
    readonly code: RequestErrorCode,
  ) {
    super(reason);
    this.name = 'RequestError';
  }

  /** True when the server refused the request; false when the client gave it up (a `ClientErrorCode`). */
  get refused(): boolean {
    return !CLIENT_ERROR_CODES.has(this.code);
  }
}

/** Options of every request method. */
export interface RequestOptions {
  /** Milliseconds until the request rejects with code `timeout` (default: the client's `requestTimeoutMs`). */
  timeout?: number;
  /** Aborting it rejects the request with code `aborted` and forgets it; an answer arriving later is ignored. */
  signal?: AbortSignal;
}

/**
 * Arms a request's deadline and abort signal; `giveUp` runs at most once, with the error. Returns
 * what disarms both, so that a settled request leaves neither a timer nor a listener behind.
 */
export function arm(
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  messageType: number,
  giveUp: (error: RequestError) => void,
): () => void {
  const onTimeout = (): void => {
    stop();
    giveUp(new RequestError(`request timed out after ${timeoutMs} ms`, messageType, ClientErrorCode.Timeout));
  };
  const onAbort = (): void => {
    stop();
    giveUp(abortedError(messageType));
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(onTimeout, timeoutMs);
  signal?.addEventListener('abort', onAbort, { once: true });
  function stop(): void {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  return stop;
}

export const abortedError = (messageType: number): RequestError =>
  new RequestError('request aborted', messageType, ClientErrorCode.Aborted);
export const notConnectedError = (messageType: number): RequestError =>
  new RequestError('not connected', messageType, ClientErrorCode.NotConnected);

/** The server's refusal as an error; a server without codes gets `internal`, as for a code not known. */
export function refusalOf(frame: ServerFrame): RequestError {
  const reason = ('reason' in frame && frame.reason) || 'request failed';
  const code = ('code' in frame && frame.code) || RefusalCode.Internal;
  return new RequestError(reason, frame.messageType, code);
}

export type OutgoingFrame = ClientFrame extends infer F ? (F extends ClientFrame ? Omit<F, 'sequenceId'> : never) : never;
export type ResponseType = ServerFrame['messageType'];

export interface PendingRequest {
  responseType: ResponseType;
  socket: WebSocketLike;
  /** Disarms the request's timeout and abort listener. */
  stop(): void;
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
  /** Set for chat sends, which outlive a lost connection in the outbox. */
  outbox?: OutboxEntry;
}

/** The requests awaiting an answer, by sequenceId, and the counter that numbers every frame sent. */
export class Requests {
  private lastSequenceId = 0;
  private readonly pending = new Map<number, PendingRequest>();

  constructor(private readonly requestTimeoutMs: number) {}

  nextSequenceId(): number {
    this.lastSequenceId += 1;
    return this.lastSequenceId;
  }

  get(sequenceId: number): PendingRequest | undefined {
    return this.pending.get(sequenceId);
  }

  send<T extends ResponseType>(
    socket: WebSocketLike | null,
    frame: OutgoingFrame,
    responseType: T,
    options: RequestOptions = {},
  ): Promise<ServerFrameOf<T>> {
    return new Promise<ServerFrameOf<T>>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(abortedError(responseType));
        return;
      }
      if (!isOpen(socket)) {
        reject(notConnectedError(responseType));
        return;
      }
      const sequenceId = this.nextSequenceId();
      const request = { responseType, socket, resolve: resolve as (frame: ServerFrame) => void, reject };
      this.track(sequenceId, request, options.timeout ?? this.requestTimeoutMs, options.signal);
      write(socket, { ...frame, sequenceId } as ClientFrame);
    });
  }

  /** Awaits the answer to `sequenceId`; a timeout or an abort forgets it, so nothing given up on stays behind. */
  track(sequenceId: number, request: Omit<PendingRequest, 'stop'>, timeoutMs?: number, signal?: AbortSignal): void {
    const stop = arm(timeoutMs, signal, request.responseType, (error) => {
      this.pending.delete(sequenceId);
      request.reject(error);
    });
    this.pending.set(sequenceId, { ...request, stop });
  }

  /** No longer awaits the answer to `sequenceId`, without settling it. */
  forget(sequenceId: number): void {
    this.pending.get(sequenceId)?.stop();
    this.pending.delete(sequenceId);
  }

  /** Settles the request a response answers; false when it answers none of ours. */
  settle(frame: ServerFrame): boolean {
    if (frame.sequenceId === 0) return false;
    const request = this.pending.get(frame.sequenceId);
    if (!request) return false;
    const isError = frame.messageType === MessageType.Error;
    if (!isError && request.responseType !== frame.messageType) return false;
    this.pending.delete(frame.sequenceId);
    request.stop();
    if (isError || ('success' in frame && frame.success === false)) {
      request.reject(refusalOf(frame));
    } else {
      request.resolve(frame);
    }
    return true;
  }

  /** Requests sent on a lost socket: chat sends go back to the outbox, the rest reject. */
  release(socket: WebSocketLike): void {
    for (const [sequenceId, request] of this.pending) {
      if (request.socket !== socket) continue;
      this.pending.delete(sequenceId);
      request.stop();
      if (request.outbox) request.outbox.sentAs = undefined;
      else request.reject(new RequestError('connection lost', request.responseType, ClientErrorCode.Disconnected));
    }
  }

  /** The client closed: every request rejects, except chat sends, which the outbox rejects. */
  rejectAll(lost: (messageType: number) => RequestError): void {
    for (const request of this.pending.values()) {
      request.stop();
      if (!request.outbox) request.reject(lost(request.responseType));
    }
    this.pending.clear();
  }
}
