import { createHmac } from 'node:crypto';

/** What the webhook is POSTed for one recipient of one message (docs/operations.md, "Offline push"). */
export interface PushPayload {
  to: string;
  from: string;
  /** Group messages only. */
  groupName?: string;
  messageId: string;
  /** The content's first PUSH_PREVIEW_CHARS code points; "" with PUSH_PREVIEW_CHARS=0. */
  preview: string;
}

/** The first `chars` code points of `content`: a surrogate pair is never cut in half. */
export function previewOf(content: string, chars: number): string {
  if (chars <= 0) return '';
  // No more UTF-16 units than `chars`: no more code points either.
  if (content.length <= chars) return content;
  let end = 0;
  for (let taken = 0; taken < chars && end < content.length; taken++) {
    const code = content.codePointAt(end)!;
    end += code > 0xffff ? 2 : 1;
  }
  return content.slice(0, end);
}

/**
 * The wait before the attempt after failed attempt `attempt` (1 for the first): the base doubled
 * per failure, capped, with "equal jitter" (half fixed, half random) so that entries queued in one
 * burst do not come back in one burst.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const capped = Math.min(maxDelayMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(capped / 2 + (capped / 2) * random());
}

export const SIGNATURE_HEADER = 'x-chat-signature';
export const TIMESTAMP_HEADER = 'x-chat-timestamp';

/**
 * `sha256=` and the hex HMAC-SHA256, keyed with the secret, of the timestamp (Unix seconds, as in
 * the X-Chat-Timestamp header), a dot and the exact body bytes: a receiver that checks the
 * timestamp is recent also refuses a replayed request.
 */
export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** What an answer of the webhook means for its entry. */
export type PushOutcome = 'sent' | 'retry' | 'rejected';

/**
 * 2xx: delivered. 408, 429 and 5xx: the receiver is busy or failing, tried again later. Anything
 * else (3xx is not followed, 4xx): the receiver refuses this request, and the same bytes would be
 * refused again, so the entry is dropped.
 */
export function outcomeOf(status: number): PushOutcome {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}
