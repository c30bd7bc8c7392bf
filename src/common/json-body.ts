/** Deeper than this, a request body is refused: nothing in the API nests more than a few levels. */
export const MAX_BODY_DEPTH = 32;

export class BodyError extends Error {
  readonly statusCode = 400;

  constructor(
    readonly code: 'FST_ERR_CTP_INVALID_JSON_BODY' | 'FST_ERR_CTP_BODY_TOO_DEEP',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses a JSON body, refusing one nested deeper than MAX_BODY_DEPTH (recursive validators
 * further on would overflow the stack) and dropping `__proto__` keys, without recursion.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BodyError('FST_ERR_CTP_INVALID_JSON_BODY', 'Request body is not valid JSON');
  }
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_BODY_DEPTH)
      throw new BodyError('FST_ERR_CTP_BODY_TOO_DEEP', `Request body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    if (!Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, '__proto__'))
      delete (value as Record<string, unknown>).__proto__;
    for (const child of Object.values(value))
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
  }
  return body;
}
