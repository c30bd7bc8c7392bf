import { ClientFrame, ServerFrame } from '../../../src/protocol';

const OPEN = 1;

// Handler parameters are checked bivariantly so both `ws` and DOM sockets satisfy this type.
type SocketHandler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the standard WebSocket API the client uses; `ws` and browser sockets both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: SocketHandler<unknown> | null;
  onmessage: SocketHandler<{ data: unknown }> | null;
  onclose: SocketHandler<{ code: number; reason: string }> | null;
  onerror: SocketHandler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What the client does with the events of the sockets it opens. */
export interface SocketEvents {
  open(socket: WebSocketLike): void;
  data(socket: WebSocketLike, data: unknown): void;
  close(socket: WebSocketLike, code: number, reason: string): void;
  /** The handshake did not complete within the open timeout. */
  stalled(socket: WebSocketLike, url: string): void;
}

const noop = (): void => undefined;

export function defaultWebSocketImpl(): WebSocketConstructor {
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
  // Required on demand so browser bundles, which always have a native WebSocket, can leave `ws` out.
  return require('ws') as WebSocketConstructor;
}

export function isOpen(socket: WebSocketLike | null): socket is WebSocketLike {
  return socket !== null && socket.readyState === OPEN;
}

export function write(socket: WebSocketLike, frame: ClientFrame): void {
  if (socket.readyState === OPEN) socket.send(JSON.stringify(frame));
}

export function parseFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const frame = value as ServerFrame;
  if (typeof frame.messageType !== 'number') return undefined;
  if (typeof frame.sequenceId !== 'number') frame.sequenceId = 0;
  return frame;
}

/** Opens sockets with a deadline for their handshake, and detaches them when they are left. */
export class Sockets {
  private readonly openTimers = new Map<WebSocketLike, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly WebSocketImpl: WebSocketConstructor,
    private readonly openTimeoutMs: number,
    private readonly events: SocketEvents,
  ) {}

  create(url: string): WebSocketLike {
    const socket = new this.WebSocketImpl(url);
    socket.onopen = () => {
      this.clearOpenTimer(socket);
      this.events.open(socket);
    };
    socket.onmessage = (event) => this.events.data(socket, event.data);
    socket.onclose = (event) => {
      this.clearOpenTimer(socket);
      this.events.close(socket, event.code, event.reason);
    };
    // A failed socket always closes afterwards; the close handler does the work.
    socket.onerror = noop;
    // Neither `ws` nor browsers time out a handshake that never completes.
    this.openTimers.set(
      socket,
      setTimeout(() => {
        this.openTimers.delete(socket);
        this.events.stalled(socket, url);
      }, this.openTimeoutMs),
    );
    return socket;
  }

  /** Detaches a socket so its late events are ignored, then closes it. */
  abandon(socket: WebSocketLike, code: number, reason?: string): void {
    this.clearOpenTimer(socket);
    socket.onopen = noop;
    socket.onmessage = noop;
    socket.onclose = noop;
    // `ws` throws on an 'error' event nobody listens to, e.g. when closing while still connecting.
    socket.onerror = noop;
    try {
      socket.close(code, reason);
    } catch {
      // A socket that cannot be closed is already gone.
    }
  }

  private clearOpenTimer(socket: WebSocketLike): void {
    clearTimeout(this.openTimers.get(socket));
    this.openTimers.delete(socket);
  }
}
