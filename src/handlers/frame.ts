import { RefusalCode } from '../protocol';
import { Refused } from '../common/refusal';

/** A request frame after the common checks: an object with an integer `messageType` and `sequenceId`. */
export interface ClientFrame {
  messageType: number;
  sequenceId: number;
  [field: string]: unknown;
}

export type ResponseFields = Record<string, unknown>;

/** A refusal with a code and a reason, answered as the request's response type with `success:false`. */
export class FrameRefusal extends Error {
  constructor(
    readonly code: RefusalCode,
    readonly reason: string,
    readonly fields: ResponseFields = {},
  ) {
    super(reason);
  }

  static of(refusal: Refused, fields: ResponseFields = {}): FrameRefusal {
    return new FrameRefusal(refusal.code, refusal.reason, fields);
  }
}

/** Reads a string field; refuses with a reason naming it when it is missing or of the wrong type. */
export function stringField(frame: ClientFrame, name: string, options: { optional?: false }): string;
export function stringField(frame: ClientFrame, name: string, options: { optional: true }): string | undefined;
export function stringField(frame: ClientFrame, name: string, options: { optional?: boolean }): string | undefined {
  const value = frame[name];
  if (value === undefined || value === null) {
    if (options.optional) return undefined;
    throw new FrameRefusal(RefusalCode.InvalidArgument, `${name} is required`);
  }
  if (typeof value !== 'string') throw new FrameRefusal(RefusalCode.InvalidArgument, `${name} must be a string`);
  return value;
}
