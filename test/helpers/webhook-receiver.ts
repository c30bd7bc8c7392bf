import { createHmac, timingSafeEqual } from 'node:crypto';
import { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

/** One POST the receiver got, as it came: the body bytes and the headers. */
export interface WebhookRequest {
  body: string;
  headers: IncomingHttpHeaders;
  json: Record<string, unknown>;
  /** What the receiver answered: a status, or null while it has not (hang). */
  status: number | null;
  at: number;
}

/** ok: 200; fail: 500; hang: never answers (until the receiver closes). */
export type ReceiverMode = 'ok' | 'fail' | 'hang';

/** The offline-push webhook as an operator would run it: a real HTTP server on 127.0.0.1 in the test process. */
export class WebhookReceiver {
  mode: ReceiverMode = 'ok';
  /** Milliseconds before answering in the ok and fail modes. */
  delayMs = 0;
  readonly requests: WebhookRequest[] = [];
  private server?: Server;
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/push`;
  }

  /** The requests answered with 2xx, for `recipient` if given. */
  delivered(recipient?: string): WebhookRequest[] {
    return this.requests.filter((r) => r.status === 200 && (recipient === undefined || r.json.to === recipient));
  }

  /** Every request for `recipient`, whatever it was answered. */
  to(recipient: string): WebhookRequest[] {
    return this.requests.filter((r) => r.json.to === recipient);
  }

  get hangingCount(): number {
    return this.hanging.size;
  }

  /** Listens on `port` (0: a free one; the same one again after `close`, for a restart). */
  listen(port = this.port): Promise<void> {
    const server = createServer((request, response) => void this.answer(request, response));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops listening and drops every connection: the webhook is down. */
  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const entry: WebhookRequest = {
      body,
      headers: request.headers,
      json: JSON.parse(body) as Record<string, unknown>,
      status: null,
      at: Date.now(),
    };
    this.requests.push(entry);
    if (this.mode === 'hang') {
      this.hanging.add(response);
      response.once('close', () => this.hanging.delete(response));
      return;
    }
    const status = this.mode === 'ok' ? 200 : 500;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    entry.status = status;
    response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'failing');
  }
}

/** The receiver's check of a request (docs/operations.md): the HMAC of `timestamp.body`, compared in constant time. */
export function signatureValid(secret: string, request: WebhookRequest): boolean {
  const timestamp = String(request.headers['x-chat-timestamp'] ?? '');
  const given = Buffer.from(String(request.headers['x-chat-signature'] ?? ''));
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
