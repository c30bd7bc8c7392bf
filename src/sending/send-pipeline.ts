import { RefusalCode } from '../protocol';
import { Refused, Result, refused } from '../common/refusal';
import { MessageRecord, StoredMessage } from '../messages/message.store';
import { clientMessageIdProblem, contentProblem } from './message-rules';
import { SendOrder } from './send-order';

/** A clientMessageId names one message: a resend to another audience is a client bug, not a resend. */
export const CLIENT_MESSAGE_ID_REUSED = 'clientMessageId was already used for another message';

/** A send as it arrives, to an address its audience reads (a username, a group name). */
export interface SendRequest {
  from: string;
  content: unknown;
  clientMessageId?: unknown;
  sequenceId: number;
}

/** A send whose content passed the checks. */
export interface CheckedSend extends SendRequest {
  content: string;
  clientMessageId?: string;
}

/**
 * Who a send goes to (a user, a group): `T` is the resolved target, `R` what the sender is
 * acknowledged with. The pipeline calls these in order; each may refuse.
 */
export interface Audience<Q extends SendRequest, T, R extends object> {
  /** The address's shape, checked before the content. */
  address(request: Q): Refused | null;
  /** The target the address names, once the content is known to be good. */
  resolve(request: Q): Promise<Result<{ target: T }>>;
  append(request: CheckedSend, target: T): Promise<Result<{ stored: StoredMessage }>>;
  /** The stored message `original` was sent to this target. */
  isFor(original: MessageRecord, target: T): boolean;
  /** Hands the message (a resend's original) to the target's live connections; returns the acknowledgement. */
  deliver(request: CheckedSend, target: T, stored: StoredMessage): Promise<R>;
}

/**
 * One send, for either audience: in order per sender, checked, stored (deduplicated by
 * clientMessageId), delivered, acknowledged. Checks of one sender's sends run concurrently;
 * the store sees them in the order they arrived, so ids follow the order the client sent in.
 */
export class SendPipeline<Q extends SendRequest, T, R extends object> {
  private readonly order = new SendOrder();

  constructor(
    private readonly audience: Audience<Q, T, R>,
    private readonly maxContentBytes: number,
  ) {}

  async send(request: Q): Promise<Result<R>> {
    const slot = this.order.enter(request.from);
    try {
      const problem = this.audience.address(request) ?? this.contentProblem(request);
      if (problem) return problem;
      const resolved = await this.audience.resolve(request);
      if (!resolved.ok) return resolved;
      const checked = request as CheckedSend;
      await slot.turn;
      const storing = this.audience.append(checked, resolved.target);
      slot.release();
      const stored = await storing;
      if (!stored.ok) return stored;
      const original = stored.stored.original;
      if (original && !this.audience.isFor(original, resolved.target))
        return refused(RefusalCode.Conflict, CLIENT_MESSAGE_ID_REUSED, 'invalid');
      return { ok: true, ...(await this.audience.deliver(checked, resolved.target, stored.stored)) };
    } finally {
      slot.release();
    }
  }

  private contentProblem(request: SendRequest): Refused | null {
    const problem = contentProblem(request.content, this.maxContentBytes) ?? clientMessageIdProblem(request.clientMessageId);
    return problem ? refused(RefusalCode.InvalidArgument, problem, 'invalid') : null;
  }
}
