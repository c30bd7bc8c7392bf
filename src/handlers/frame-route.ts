import { RESPONSE_TYPE } from '../protocol';
import { ClientFrame, ResponseFields } from './frame';

/**
 * What a handler sees of the connection its frame came on: who is logged in and a way to send.
 * A handler refuses by throwing a `FrameRefusal`; the gateway answers it in the request's shape.
 */
export interface FrameContext {
  /** The logged-in user; null only in public routes (Ping, Register, Login). */
  readonly username: string | null;
  /** Sends a response or push on this connection. */
  send(fields: ResponseFields): void;
  /** The seq the next live message of an ordered conversation will carry, once the user is in it. */
  expectSeq(stream: string, next: number): void;
  /**
   * Of acknowledged ids, the ordered messages this connection wrote: the highest seq per stream,
   * and the ids it cannot place (written elsewhere, forgotten, or not ordered), for a lookup.
   */
  takeDeliveredSeqs(ids: string[]): { seqs: Map<string, number>; others: string[] };
}

/**
 * One entry of the dispatch table: a request type and its handler. A handler returns the
 * response's fields, or nothing when it answers by itself; the response's type is the one
 * `RESPONSE_TYPE` (src/protocol) gives the request type (see `responseTypeOf`).
 */
export interface FrameRoute<C extends FrameContext = FrameContext> {
  requestType: number;
  /** Served before login (Ping, Register, Login). */
  public?: boolean;
  handle(context: C, frame: ClientFrame): Promise<ResponseFields | void> | ResponseFields | void;
}

/** What a feature hands the gateway: its part of the table. */
export interface FrameRoutes<C extends FrameContext = FrameContext> {
  routes(): FrameRoute<C>[];
}

/** The features' parts of the table, registered by their modules; the gateway serves them all. */
export const FRAME_ROUTES = Symbol('FRAME_ROUTES');

/**
 * The type a request is answered with, from the protocol's table; null: no direct response (Ack),
 * refusals then go out as `MessageType.Error`. Throws for a request type the table does not list,
 * so that a route the protocol does not know of fails at registration.
 */
export function responseTypeOf(requestType: number): number | null {
  const responseType = RESPONSE_TYPE[requestType];
  if (responseType === undefined) throw new Error(`Message type ${requestType} has a handler but no response type in RESPONSE_TYPE`);
  return responseType;
}
