import { BodyError, MAX_BODY_DEPTH, parseJsonBody } from './json-body';

describe('parseJsonBody', () => {
  it('parses ordinary bodies', () => {
    expect(parseJsonBody('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(parseJsonBody('')).toBeUndefined();
  });

  it('refuses invalid JSON with a 400 error', () => {
    expect(() => parseJsonBody('{"a":')).toThrow(BodyError);
    try {
      parseJsonBody('{');
    } catch (error) {
      expect(error).toMatchObject({ statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    }
  });

  it('refuses bodies nested deeper than the limit, without overflowing the stack', () => {
    expect(parseJsonBody('['.repeat(MAX_BODY_DEPTH) + ']'.repeat(MAX_BODY_DEPTH))).toBeDefined();
    expect(() => parseJsonBody('['.repeat(MAX_BODY_DEPTH + 1) + ']'.repeat(MAX_BODY_DEPTH + 1))).toThrow(/nested deeper/);
    expect(() => parseJsonBody('['.repeat(200000) + ']'.repeat(200000))).toThrow(/nested deeper/);
  });

  it('drops __proto__ keys at any depth', () => {
    const body = parseJsonBody('{"a":{"__proto__":{"admin":true}},"__proto__":{"x":1}}') as Record<string, Record<string, unknown>>;
    expect(Object.prototype.hasOwnProperty.call(body, '__proto__')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(body.a, '__proto__')).toBe(false);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
