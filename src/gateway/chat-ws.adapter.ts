import { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { AppConfig } from '../config/app-config';

/**
 * `ws` on the HTTP port, with our limits. Frames are not routed through Nest's message
 * pipeline: the gateway attaches its own listener (Nest's costs a third of the throughput).
 */
export class ChatWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}) {
    return super.create(port, {
      ...options,
      maxPayload: this.config.wsMaxFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
    });
  }

  override bindMessageHandlers(): void {
    // The gateway dispatches frames itself.
  }

  /** A client's protocol error (an oversized frame, a bad close code) is the client's problem, not an error of ours. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (error: Error) => this.logger.error(`WebSocket server: ${error.message}`));
    server.on('connection', (socket: WebSocket) => socket.on('error', (error: Error) => this.logger.debug?.(`WebSocket client: ${error.message}`)));
    return server;
  }
}
