import { RefusalCode } from '../protocol';

/** A service's answer when it refuses: the protocol code and the reason, mapped once at each edge. */
export interface Refused {
  ok: false;
  code: RefusalCode;
  reason: string;
  /** Bad input, not a refused operation: the HTTP edge answers it as a validation error. */
  invalid?: boolean;
}

export function refused(code: RefusalCode, reason: string, invalid?: true): Refused {
  return invalid ? { ok: false, code, reason, invalid } : { ok: false, code, reason };
}
