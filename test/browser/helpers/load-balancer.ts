import { Server, Socket, connect, createServer } from 'node:net';

/**
 * A round-robin TCP proxy on loopback standing in for the compose file's nginx: every new
 * connection (page loads and WebSockets alike) goes to the next instance. With one upstream it
 * is a plain forwarder: an instance's public address that is not the one it listens on.
 */
export class LoadBalancer {
  private turn = 0;
  /** Connections taken since it started. */
  accepted = 0;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly upstreamPorts: number[]) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  async start(): Promise<this> {
    const server = createServer((client) => {
      this.accepted++;
      const upstream = connect(this.upstreamPorts[this.turn++ % this.upstreamPorts.length], '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
