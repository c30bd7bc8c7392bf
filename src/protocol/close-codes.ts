/** The close codes the server sends (docs/protocol.md §1.3). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  Unsupported: 1003,
  /** Sent by the `ws` library, before any handler runs, for a text frame that is not valid UTF-8. */
  InvalidPayload: 1007,
  Policy: 1008,
  TooBig: 1009,
  Internal: 1011,
  TryAgainLater: 1013,
  Replaced: 4001,
  LoginTimeout: 4002,
  Disabled: 4003,
  Moved: 4008,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes a closed socket reports that no close frame carried: none given (1005), the connection lost (1006). */
export const ReportedCloseCode = {
  NoStatus: 1005,
  Abnormal: 1006,
} as const;

/** The code the SDK closes a connection with when it stops answering pings; the server never sends it. */
export const DEAD_CONNECTION_CLOSE_CODE = 4000;

/** After these the session is over (replaced, disabled): reconnecting would only be refused again. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.Replaced, CloseCode.Disabled]);
