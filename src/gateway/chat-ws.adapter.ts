import { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import WebSocket, { WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../config/app-config';
import { ChatGateway } from './chat.gateway';

/** Pongs ws may owe a client that sends pings and does not read; past them the socket is dropped. */
const MAX_PENDING_AUTO_PONGS = 60;

/**
 * `ws` on the HTTP port, with our limits. Frames are not routed through Nest's message
 * pipeline: the gateway attaches its own listener. Nest's dispatch costs about 17 µs more CPU
 * per frame, and about 116 µs with a ValidationPipe, a guard, an interceptor and a filter,
 * against about 160 µs per S1 message (bench/nest-pipeline.ts, docs/benchmarks-analysis.md).
 */
export class ChatWsAdapter extends WsAdapter {
  constructor(
    private readonly app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}) {
    return super.create(port, {
      ...options,
      maxPayload: this.config.ws.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
      maxPendingAutoPongs: MAX_PENDING_AUTO_PONGS,
      // Connection limits refuse at the upgrade, with an HTTP status, rather than after it.
      verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string) => void) => {
        const admission = this.app.get(ChatGateway).admit(info.req);
        if (admission.ok) done(true);
        else done(false, admission.status, admission.message);
      },
    });
  }

  override bindMessageHandlers(): void {
    // The gateway dispatches frames itself.
  }

  /** A client's protocol error (an oversized frame, a bad close code) is the client's problem, not an error of ours. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (error: Error) => this.logger.error(`WebSocket server: ${error.message}`));
    // One listener for every socket rather than one made per connection. ws closes with CloseCode.TooBig by itself past
    // maxPayload; anything else is the peer's fault, not ours.
    const clientError = (error: Error & { code?: string }) => this.logger.debug?.(`WebSocket client: ${error.code ?? ''} ${error.message}`);
    server.on('connection', (socket: WebSocket) => socket.on('error', clientError));
    return server;
  }
}
