import { Contract, ObservedResponse, OpenApiDocument } from './contract';

/** A document shaped as the server's: the envelope R, a closed model, shared errors, a text route. */
const envelope = (codes: number[], data: object) => ({
  allOf: [
    { $ref: '#/components/schemas/R' },
    { type: 'object', required: ['data'], properties: { code: { type: 'integer', enum: codes }, data } },
  ],
});
const json = (schema: object) => ({ description: '', content: { 'application/json': { schema } } });
const errorResponse = (code: number) => json(envelope([code], { type: 'object', nullable: true, enum: [null] }));
const nullableUser = { allOf: [{ $ref: '#/components/schemas/UserDto' }], nullable: true };

const DOCUMENT = {
  paths: {
    '/port': { get: { responses: { '200': json(envelope([0], { type: 'integer', format: 'int32' })), '429': errorResponse(429) } } },
    '/user/page': { post: { responses: { '200': json(envelope([0], { $ref: '#/components/schemas/UserDto' })) } } },
    '/user/{username}': { get: { responses: { '200': json(envelope([0, -10], nullableUser)), '401': errorResponse(401) } } },
    '/metrics': { get: { responses: { '200': { content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  },
  components: {
    schemas: {
      R: {
        type: 'object',
        required: ['code', 'msg', 'path', 'extra', 'timestamp', 'isSuccess', 'isError'],
        properties: {
          code: { type: 'integer', format: 'int32' },
          msg: { type: 'string', example: '' },
          path: { type: 'string' },
          extra: { type: 'object', additionalProperties: true },
          timestamp: { type: 'integer', format: 'int64' },
          isSuccess: { type: 'boolean' },
          isError: { type: 'boolean' },
        },
      },
      UserDto: {
        type: 'object',
        additionalProperties: false,
        required: ['username', 'lastLoginTime'],
        properties: { username: { type: 'string' }, lastLoginTime: { type: 'string', format: 'date-time', nullable: true } },
      },
    },
  },
} as unknown as OpenApiDocument;

const contract = new Contract(DOCUMENT);
const body = (code: number, data: unknown) =>
  JSON.stringify({ code, data, msg: '', path: '/x', extra: {}, timestamp: 1764182400000, isSuccess: code === 0, isError: code !== 0 });
const JSON_TYPE = 'application/json; charset=utf-8';
const answer = (method: string, url: string, status: number, text: string, contentType = JSON_TYPE): ObservedResponse => ({
  method,
  url,
  status,
  contentType,
  text,
});
const alice = { username: 'alice', lastLoginTime: null };
const violationOf = (method: string, url: string, status: number, text: string, contentType?: string) =>
  contract.violation(answer(method, url, status, text, contentType));

describe('Contract', () => {
  it('passes conforming answers: data typed, a refusal with data null where nullable, a documented error, text, non-API paths', () => {
    expect(violationOf('GET', '/port', 200, body(0, 9092))).toBeNull();
    expect(violationOf('GET', '/user/alice', 200, body(0, alice))).toBeNull();
    expect(violationOf('GET', '/user/alice', 200, body(0, { username: 'alice', lastLoginTime: '2026-11-26T19:42:00.000Z' }))).toBeNull();
    expect(violationOf('GET', '/user/ghost', 200, body(-10, null))).toBeNull();
    expect(violationOf('POST', '/user/page?current=1', 200, body(0, alice))).toBeNull();
    expect(violationOf('GET', '/user/alice', 401, body(401, null))).toBeNull();
    expect(violationOf('GET', '/metrics', 200, 'chat_up 1', 'text/plain; version=0.0.4')).toBeNull();
    expect(violationOf('HEAD', '/port', 200, '')).toBeNull();
    expect(violationOf('GET', '/', 200, '<html>', 'text/html')).toBeNull();
    expect(violationOf('GET', '/assets/chat.js', 200, '', 'text/javascript')).toBeNull();
  });

  it('lets an unknown route answer 404 in the envelope, and a preflight 204 without a body', () => {
    expect(violationOf('GET', '/no-such-route', 404, body(404, null))).toBeNull();
    expect(violationOf('DELETE', '/port', 404, body(404, null))).toBeNull();
    expect(violationOf('OPTIONS', '/port', 204, '', '')).toBeNull();
    expect(violationOf('OPTIONS', '/port', 403, body(403, null))).toBeNull();
  });

  const user = (fields: object) => body(0, fields);
  it.each([
    ['an undocumented route', answer('GET', '/secret', 200, body(0, 1)), /GET \/secret answered 200: the route is not in the document/],
    ['an undocumented method answering 200', answer('POST', '/port', 200, body(0, 1)), /POST \/port answered 200: the route is not/],
    ['an undocumented status', answer('GET', '/port', 503, body(-1, null)), /status 503 is not documented for GET \/port/],
    ['a wrong type', answer('GET', '/port', 200, body(0, '9092')), /GET \/port answered 200: \/data must be integer/],
    ['a fraction where an integer is documented', answer('GET', '/port', 200, body(0, 1.5)), /\/data must be integer/],
    ['a code the route does not answer with', answer('GET', '/port', 200, body(-10, 1)), /\/code must be equal to one of the allowed/],
    ['a missing required field', answer('GET', '/port', 200, JSON.stringify({ code: 0, data: 1 })), /must have required property 'msg'/],
    ['null where data is not nullable', answer('POST', '/user/page', 200, body(0, null)), /POST \/user\/page answered 200: \/data must be/],
    ['null in a field that is not nullable', answer('GET', '/user/a', 200, user({ ...alice, username: null })), /\/data\/username must be/],
    ['an extra property of a closed model', answer('GET', '/user/a', 200, user({ ...alice, x: 1 })), /must NOT have additional properties/],
    ['a malformed date-time', answer('GET', '/user/a', 200, user({ ...alice, lastLoginTime: 'now' })), /must match format "date-time"/],
    ['a body that is not JSON', answer('GET', '/port', 429, 'Too many'), /GET \/port answered 429: the body is not JSON/],
    ['an undocumented content type', answer('GET', '/port', 200, 'x', 'text/plain'), /content type "text\/plain" is not documented/],
    ['an unknown route outside the envelope', answer('OPTIONS', '/port', 400, 'Invalid', 'text/plain'), /answered 400: the body is not/],
    ['an unknown route with data', answer('GET', '/nope', 404, body(404, { hint: 1 })), /not the error envelope: \/data must be null/],
    ['a preflight 204 with a body', answer('OPTIONS', '/port', 204, 'x'), /a preflight's 204 has a body/],
  ])('fails %s', (_kind, observed, message) => {
    expect(contract.violation(observed)).toMatch(message);
  });
});
