/** A refusal of the business rules: code -10, HTTP 200, with a reason for the caller. */
export class BusinessException extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
