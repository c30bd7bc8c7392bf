import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, PushConfig } from '../config/app-config';
import { BatchWriter } from '../database/batch-writer';
import { MetricsService } from '../metrics/metrics.service';
import { ClaimedPush, PushEntryInput, PushQueueRepository } from './push-queue.repository';
import { PushPayload, SIGNATURE_HEADER, TIMESTAMP_HEADER, outcomeOf, previewOf, retryDelayMs, signatureOf } from './push-rules';

/** A stored message that some of its recipients had no live session for. */
export interface OfflineMessage {
  from: string;
  groupName?: string;
  messageId: string;
  content: string;
}

/** Rows per INSERT: a message to a 10,000-member group is queued in ten statements. */
const INSERT_BATCH = 1000;
/** Wait before writing the buffer again after the database refused it. */
const STORE_RETRY_MS = 1000;
/** How often, in cluster mode, the gauge is counted again (the other instances change the table too). */
const COUNT_MS = 5000;
/** An attempt's claim outlives its POST (aborted at the timeout) by this much, for the answer to be written. */
const LEASE_MARGIN_MS = 10000;

/**
 * Offline push: entries go to a memory buffer at once (the sender's acknowledgement never waits
 * for them), then in batches to the shared `push_queue` table; every instance claims due entries
 * from it and POSTs them to the webhook, at most PUSH_CONCURRENCY at a time, each signed and
 * bounded by PUSH_WEBHOOK_TIMEOUT_MS. A row is deleted after a 2xx (at least once: a receiver
 * dedupes by messageId), a refusal, or the end of its retry window.
 */
@Injectable()
export class PushService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PushService.name);
  private readonly settings: PushConfig;
  private readonly cluster: boolean;
  /** Entries not yet written to the table, at most PUSH_QUEUE_MAX. */
  private buffer: PushEntryInput[] = [];
  /** How many of the buffer's first entries the insert under way is writing. */
  private writing = 0;
  private storing?: Promise<void>;
  private storeTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private countTimer?: NodeJS.Timeout;
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;
  /** Attempts in flight: their claims, and how to abort them at shutdown. */
  private readonly inFlight = new Map<string, { entry: ClaimedPush; abort: AbortController; done: Promise<void> }>();
  private readonly removals: BatchWriter<string, null>;
  private queued = 0;
  private failing = false;

  constructor(
    config: AppConfig,
    private readonly queue: PushQueueRepository,
    private readonly metrics: MetricsService,
  ) {
    this.settings = config.push;
    this.cluster = config.mode === 'cluster';
    this.removals = new BatchWriter(async (ids) => {
      await this.queue.remove(ids);
      this.setQueued(this.queued - ids.length);
      return ids.map(() => null);
    }, INSERT_BATCH);
  }

  get enabled(): boolean {
    return this.settings.webhookUrl !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    await this.recount();
    this.pollTimer = setInterval(() => this.pump(), this.settings.pollMs);
    this.pollTimer.unref();
    if (this.cluster) {
      this.countTimer = setInterval(() => void this.recount(), COUNT_MS);
      this.countTimer.unref();
    }
    this.pump();
  }

  /**
   * Queues a push of `message` to each of `recipients` (the ones it reached no live session of).
   * Returns at once: the rows are written after the caller has answered.
   */
  offline(message: OfflineMessage, recipients: string[]): void {
    if (!this.enabled || this.stopped || recipients.length === 0) return;
    const preview = previewOf(message.content, this.settings.previewChars);
    const room = Math.max(0, this.settings.queueMax - this.buffer.length);
    if (room < recipients.length) this.metrics.pushDroppedFull.inc(recipients.length - room);
    for (const recipient of recipients.slice(0, room)) {
      this.buffer.push({ recipient, sender: message.from, groupName: message.groupName ?? null, messageId: message.messageId, preview });
    }
    this.scheduleStore(0);
  }

  /**
   * A message edited (`content`) or recalled (null): its queued entries get the new preview, or are
   * deleted, and so are those in this instance's buffer. Rows written with the old text meanwhile (an
   * insert under way here, an entry in another instance's memory) are corrected when claimed: the
   * claim reads the message as it is then. A POST already sent cannot be taken back. Never throws:
   * the change itself is stored, and the claim is the guarantee.
   */
  async messageChanged(messageId: string, content: string | null): Promise<void> {
    if (!this.enabled) return;
    const preview = content === null ? null : previewOf(content, this.settings.previewChars);
    if (this.buffer.length > this.writing) {
      const waiting = this.buffer.slice(this.writing).filter((e) => e.messageId !== messageId || preview !== null);
      for (const entry of waiting) if (entry.messageId === messageId) entry.preview = preview!;
      this.buffer.splice(this.writing, this.buffer.length - this.writing, ...waiting);
    }
    try {
      if (preview === null) {
        const removed = await this.queue.removeMessage(messageId);
        this.metrics.pushDroppedRecalled.inc(removed);
        this.setQueued(this.queued - removed);
      } else await this.queue.repreview(messageId, preview);
    } catch (error) {
      this.logger.warn(`Could not update the queued pushes of message ${messageId}: ${String(error)}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.enabled) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.countTimer);
    clearTimeout(this.storeTimer);
    this.storeTimer = undefined;
    const attempts = [...this.inFlight.values()];
    for (const attempt of attempts) attempt.abort.abort();
    await Promise.all(attempts.map((a) => a.done));
    // Claims given back are due at once after a restart, rather than after their lease.
    await this.queue.release(attempts.map((a) => a.entry)).catch((error) => this.logger.warn(`Could not release claims: ${String(error)}`));
    await this.storing;
    if (this.buffer.length > 0) await this.store();
  }

  /** Writes the buffer in `delayMs`, unless a write is in flight or already planned. */
  private scheduleStore(delayMs: number): void {
    if (this.storing || this.storeTimer) return;
    this.storeTimer = setTimeout(() => {
      this.storeTimer = undefined;
      this.storing = this.store().finally(() => {
        this.storing = undefined;
        // Left over only when the database refused a batch.
        if (this.buffer.length > 0 && !this.stopped) this.scheduleStore(STORE_RETRY_MS);
      });
    }, delayMs);
  }

  /** Writes the buffer to the table, a batch at a time; the entries the bound leaves no room for are dropped. */
  private async store(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, INSERT_BATCH);
        this.writing = batch.length;
        const inserted = await this.queue.insert(batch, this.settings.queueMax).finally(() => (this.writing = 0));
        this.buffer.splice(0, batch.length);
        if (inserted < batch.length) this.metrics.pushDroppedFull.inc(batch.length - inserted);
        this.setQueued(this.queued + inserted);
        this.pump();
      }
    } catch (error) {
      this.logger.warn(`Could not queue ${this.buffer.length} offline pushes; trying again: ${String(error)}`);
    }
  }

  /** Claims due entries while attempts have room; one pump at a time, another run if asked meanwhile. */
  private pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.claimDue().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async claimDue(): Promise<void> {
    try {
      while (!this.stopped) {
        const room = this.settings.concurrency - this.inFlight.size;
        if (room <= 0) return;
        const claimed = await this.queue.claim(room, this.settings.timeoutMs + LEASE_MARGIN_MS, this.settings.previewChars);
        for (const entry of claimed) this.begin(entry);
        if (claimed.length < room) return;
      }
    } catch (error) {
      this.logger.warn(`Could not claim offline pushes: ${String(error)}`);
    }
  }

  private begin(entry: ClaimedPush): void {
    if (this.stopped) return;
    const abort = new AbortController();
    const done = this.attempt(entry, abort.signal)
      .catch((error) => this.logger.warn(`Offline push ${entry.id}: ${String(error)}`))
      .finally(() => {
        this.inFlight.delete(entry.id);
        this.pump();
      });
    this.inFlight.set(entry.id, { entry, abort, done });
  }

  private async attempt(entry: ClaimedPush, shutdown: AbortSignal): Promise<void> {
    if (entry.ageMs > this.settings.retryWindowMs) {
      // Queued longer ago than the window (every instance was down meanwhile): the message waits for the next login.
      await this.removals.add(entry.id);
      this.metrics.pushDroppedExpired.inc();
      return;
    }
    if (entry.recalled) {
      // Recalled after it was queued, and the row written or kept meanwhile: the text never leaves.
      await this.removals.add(entry.id);
      this.metrics.pushDroppedRecalled.inc();
      return;
    }
    const started = Date.now();
    const body = JSON.stringify(payloadOf(entry));
    const timestamp = String(Math.floor(started / 1000));
    let status: number;
    // An own controller and timer, not AbortSignal.any(AbortSignal.timeout()): on Node 20 such a composite signal can be
    // collected before it fires, and the POST then hangs past its timeout, holding its slot for good.
    const deadline = new AbortController();
    const onShutdown = (): void => deadline.abort(shutdown.reason);
    shutdown.addEventListener('abort', onShutdown, { once: true });
    const timer = setTimeout(() => deadline.abort(new DOMException('The push webhook timed out', 'TimeoutError')), this.settings.timeoutMs);
    try {
      const response = await fetch(this.settings.webhookUrl!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'chat-server-push',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signatureOf(this.settings.webhookSecret, timestamp, body),
          'x-chat-attempt': String(entry.attempts),
        },
        body,
        redirect: 'manual',
        signal: deadline.signal,
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
    } catch (error) {
      if (shutdown.aborted) return;
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      (timedOut ? this.metrics.pushFailedTimeout : this.metrics.pushFailedConnection).inc();
      return this.failed(entry, started, timedOut ? 'timed out' : `${String(error)} ${String((error as { cause?: unknown }).cause ?? '')}`);
    } finally {
      clearTimeout(timer);
      shutdown.removeEventListener('abort', onShutdown);
    }
    const outcome = outcomeOf(status);
    if (outcome === 'sent') {
      await this.removals.add(entry.id);
      this.metrics.pushSent.inc();
      if (this.failing) this.logger.log('The push webhook answers again');
      this.failing = false;
    } else if (outcome === 'rejected') {
      this.metrics.pushFailedRejected.inc();
      this.logger.warn(`The push webhook refused message ${entry.messageId} for ${entry.recipient} with HTTP ${status}; dropped`);
      await this.removals.add(entry.id);
      this.metrics.pushDroppedRejected.inc();
    } else {
      this.metrics.pushFailedRetryable.inc();
      await this.failed(entry, started, `HTTP ${status}`);
    }
  }

  /** Tries the entry again after its backoff, or drops it when that would be past its window. */
  private async failed(entry: ClaimedPush, started: number, reason: string): Promise<void> {
    if (!this.failing) this.logger.warn(`The push webhook failed (${reason}); entries are tried again with backoff`);
    this.failing = true;
    const delay = retryDelayMs(entry.attempts, this.settings.retryBaseMs, this.settings.retryMaxDelayMs);
    if (entry.ageMs + (Date.now() - started) + delay > this.settings.retryWindowMs) {
      await this.removals.add(entry.id);
      this.metrics.pushDroppedExpired.inc();
      return;
    }
    await this.queue.retryLater(entry, delay);
  }

  private async recount(): Promise<void> {
    try {
      this.setQueued(await this.queue.count());
    } catch (error) {
      this.logger.warn(`Could not count the push queue: ${String(error)}`);
    }
  }

  private setQueued(value: number): void {
    this.queued = Math.max(0, value);
    this.metrics.pushQueued.set(this.queued);
  }
}

function payloadOf(entry: ClaimedPush): PushPayload {
  return {
    to: entry.recipient,
    from: entry.sender,
    ...(entry.groupName === null ? {} : { groupName: entry.groupName }),
    messageId: entry.messageId,
    preview: entry.preview,
  };
}
