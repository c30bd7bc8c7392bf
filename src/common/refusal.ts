import { RefusalCode } from '../protocol';

/**
 * Why a service said no, which decides how each edge answers: bad input (`invalid`, HTTP -9),
 * an operation the rules refuse (`refused`, HTTP -10), or a dependency busy for now (`unavailable`).
 */
export type RefusalKind = 'invalid' | 'refused' | 'unavailable';

/** A service's answer when it refuses: its kind, the protocol's code and the reason, mapped once at each edge. */
export interface Refused {
  ok: false;
  kind: RefusalKind;
  code: RefusalCode;
  reason: string;
}

/** What a service answers: ok with its fields, or a refusal. */
export type Result<T extends object = object> = ({ ok: true } & T) | Refused;

export function refused(code: RefusalCode, reason: string, kind: RefusalKind = 'refused'): Refused {
  return { ok: false, kind, code, reason };
}
