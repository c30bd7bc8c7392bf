import { ChatConnection } from './chat-connection';
import { ClientFrame, ResponseFields } from './frame';

/**
 * One entry of the dispatch table: a request type, the type it is answered with, and the
 * handler. A handler returns the response's fields, or nothing when it answers by itself.
 */
export interface FrameRoute {
  requestType: number;
  /** null: no direct response (Ack); refusals then go out as type 26. */
  responseType: number | null;
  /** Served before login (Ping, Register, Login). */
  public?: boolean;
  handle(connection: ChatConnection, frame: ClientFrame): Promise<ResponseFields | void> | ResponseFields | void;
}

/** What a feature hands the gateway: its part of the table. */
export interface FrameRoutes {
  routes(): FrameRoute[];
}
