/** The close codes the server sends (docs/protocol.md §1.3). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  Unsupported: 1003,
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

/**
 * The code the WebSocket library closes with when a text frame is not valid UTF-8 (RFC 6455 §7.4.1).
 * It is not among the server's own codes of docs/protocol.md §1.3: the library sends it before any handler runs.
 */
export const INVALID_PAYLOAD_CLOSE_CODE = 1007;

/** After these the session is over (replaced, disabled): reconnecting would only be refused again. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.Replaced, CloseCode.Disabled]);
