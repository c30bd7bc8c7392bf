import WebSocket from 'ws';
import { ChatClient, ChatMessage } from '@chat-server/client';

/**
 * Many SDK clients and the bookkeeping to prove delivery: every message a sender saw
 * acknowledged must reach its recipient, once after the SDK's dedup by messageId.
 */
export class SdkFleet {
  readonly clients: ChatClient[] = [];
  readonly names: string[] = [];
  /** messageId → recipient, for every acknowledged send. */
  readonly acked = new Map<string, string>();
  /** recipient → messageId → times the SDK emitted it. */
  readonly received = new Map<string, Map<string, number>>();
  readonly sendErrors: string[] = [];
  private sending = false;
  private senders: Promise<void>[] = [];

  constructor(private readonly resolveUrl: (lost: string, attempt: number) => string | Promise<string>) {}

  async add(url: string, username: string, password: string): Promise<ChatClient> {
    const client = new ChatClient({
      WebSocketImpl: WebSocket as never,
      requestTimeoutMs: 15000,
      heartbeatMs: 5000,
      backoff: { baseMs: 100, capMs: 1000 },
      resolveUrl: this.resolveUrl,
    });
    const seen = new Map<string, number>();
    this.received.set(username, seen);
    client.on('message', (message: ChatMessage) => seen.set(message.messageId, (seen.get(message.messageId) ?? 0) + 1));
    await client.connect(url);
    await client.login(username, password);
    this.clients.push(client);
    this.names.push(username);
    return client;
  }

  /** Some clients send to random peers, each one message at a time, until stopped. */
  startSending(senderCount: number, pauseMs: number): void {
    this.sending = true;
    for (let s = 0; s < senderCount; s++) {
      const index = s % this.clients.length;
      this.senders.push(
        (async () => {
          let n = 0;
          while (this.sending) {
            const to = this.names[(index + 1 + Math.floor(Math.random() * (this.names.length - 1))) % this.names.length];
            try {
              const ack = await this.clients[index].sendChat(to, `${this.names[index]}#${n++}`);
              this.acked.set(ack.messageId, to);
            } catch (error) {
              this.sendErrors.push(error instanceof Error ? error.message : String(error));
            }
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
        })(),
      );
    }
  }

  async stopSending(): Promise<void> {
    this.sending = false;
    await Promise.all(this.senders.splice(0));
  }

  /** Acknowledged messages their recipients have not seen yet. */
  missing(): string[] {
    return [...this.acked].filter(([id, to]) => !this.received.get(to)?.has(id)).map(([id]) => id);
  }

  /** Messages the SDK emitted more than once to one recipient. */
  duplicates(): string[] {
    const repeated: string[] = [];
    for (const seen of this.received.values()) for (const [id, times] of seen) if (times > 1) repeated.push(id);
    return repeated;
  }

  async waitForDelivery(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.missing().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    return this.missing();
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
