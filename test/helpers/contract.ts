import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The contract check: every HTTP answer a suite gets from its own instances is validated against
 * the OpenAPI document that instance serves at /v2/api-docs (docs/protocol.md §7). A route or a
 * status the document does not name, a wrong type, a missing field, a null where none is allowed
 * or an extra property of a closed model fails the test, naming the route, the status and ajv's error.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface MediaType {
  schema?: JsonObject;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonObject> };
}

/** Not the API, and not in the document: the pages, their assets, the WebSocket, the document and its UI. */
export const NON_API_PATHS: readonly RegExp[] = [
  /^\/$/,
  /^\/admin$/,
  /^\/assets\//,
  /^\/ws$/,
  /^\/v2\/api-docs$/,
  /^\/swagger-ui/,
  /^\/doc\.html/,
];

/**
 * What a path or a method the document does not name may answer (docs/protocol.md §7.1): 404 "No
 * such route", the router's 400, the per-address 429 (counted before routing), and to a CORS
 * preflight 204 (an allowed origin, no body) or 403 (another origin).
 */
const UNMATCHED_STATUSES = [400, 404, 429];
const PREFLIGHT_STATUSES = [204, 403];

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

/** OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a `null` alternative, $refs point into `api`. */
function toJsonSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const converted: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') converted.$ref = value.replace(/^#\/components\/schemas\//, 'api#/$defs/');
    else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      converted.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, toJsonSchema(property)]));
    } else converted[key] = toJsonSchema(value);
  }
  return schema.nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

function templateRegex(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

function ajvErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
}

export interface ObservedResponse {
  method: string;
  /** The path with its query, as requested. */
  url: string;
  status: number;
  contentType: string | null;
  text: string;
}

/** One served document, compiled once. */
export class Contract {
  private readonly ajv: Ajv;
  private readonly routes: { template: string; regex: RegExp; literal: boolean }[];
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly errorEnvelope: ValidateFunction;

  constructor(private readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ allErrors: true, strictTypes: false });
    addFormats(this.ajv);
    this.ajv.addVocabulary(['example', 'externalDocs', 'xml']);
    const components = Object.entries(document.components?.schemas ?? {});
    const schemas = Object.fromEntries(components.map(([name, schema]) => [name, toJsonSchema(schema)]));
    this.ajv.addSchema({ $id: 'api', $defs: schemas });
    // Literal paths first: POST /user/page is its own route, not /user/{username}.
    this.routes = Object.keys(document.paths)
      .map((template) => ({ template, regex: templateRegex(template), literal: !template.includes('{') }))
      .sort((a, b) => Number(b.literal) - Number(a.literal));
    this.errorEnvelope = this.ajv.compile({
      allOf: [{ $ref: 'api#/$defs/R' }, { type: 'object', required: ['data'], properties: { data: { type: 'null' } } }],
    });
  }

  /** The violation of this answer, or null when the document allows it. */
  violation(observed: ObservedResponse): string | null {
    const path = observed.url.split('?')[0];
    const method = observed.method.toUpperCase();
    if (NON_API_PATHS.some((pattern) => pattern.test(path))) return null;
    const where = `${method} ${path} answered ${observed.status}`;
    const lookup = method === 'HEAD' ? 'get' : method.toLowerCase();
    const route = this.routes.find((r) => r.regex.test(path) && this.document.paths[r.template][lookup]);
    if (!route) return this.unmatched(observed, method, where);
    const operation = this.document.paths[route.template][lookup];
    const response = operation.responses[String(observed.status)] ?? operation.responses.default;
    if (!response) {
      const documented = Object.keys(operation.responses).join(', ');
      return `${where}: status ${observed.status} is not documented for ${method} ${route.template} (documented: ${documented})`;
    }
    // A HEAD answer has the GET's status and headers, and no body.
    if (method === 'HEAD') return null;
    const mediaType = (observed.contentType ?? '').split(';')[0].trim().toLowerCase();
    const content = response.content?.[mediaType];
    if (!content) {
      const documented = Object.keys(response.content ?? {}).join(', ') || 'no body';
      return `${where}: content type "${mediaType}" is not documented (documented: ${documented})`;
    }
    if (!content.schema || !mediaType.endsWith('json')) return null;
    return this.validate(`${lookup} ${route.template} ${observed.status}`, content.schema, observed.text, where);
  }

  private unmatched(observed: ObservedResponse, method: string, where: string): string | null {
    const preflight = method === 'OPTIONS' && PREFLIGHT_STATUSES.includes(observed.status);
    if (preflight && observed.status === 204) return observed.text === '' ? null : `${where}: a preflight's 204 has a body`;
    if (!preflight && !UNMATCHED_STATUSES.includes(observed.status)) {
      return `${where}: the route is not in the document (an undocumented route answers only ${UNMATCHED_STATUSES.join(', ')})`;
    }
    const body = this.parse(observed.text, where);
    if (typeof body === 'string') return body;
    return this.errorEnvelope(body.value) ? null : `${where}: not the error envelope: ${ajvErrors(this.errorEnvelope.errors)}`;
  }

  private validate(key: string, schema: JsonObject, text: string, where: string): string | null {
    let validator = this.validators.get(key);
    if (!validator) {
      validator = this.ajv.compile(toJsonSchema(schema) as JsonObject);
      this.validators.set(key, validator);
    }
    const body = this.parse(text, where);
    if (typeof body === 'string') return body;
    return validator(body.value) ? null : `${where}: ${ajvErrors(validator.errors)}`;
  }

  private parse(text: string, where: string): { value: unknown } | string {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return `${where}: the body is not JSON: ${text.slice(0, 120)}`;
    }
  }
}

/** Shared by every copy of this module in a test file (the setup file and the suite may load it apart). */
interface ContractState {
  rawFetch: typeof fetch;
  /** Per port of an instance the suite started: its compiled document. */
  contracts: Map<number, Promise<Contract>>;
}

const STATE_KEY = Symbol.for('chat-server.contract');

function state(): ContractState {
  const holder = globalThis as unknown as Record<symbol, ContractState | undefined>;
  holder[STATE_KEY] ??= { rawFetch: globalThis.fetch.bind(globalThis), contracts: new Map() };
  return holder[STATE_KEY];
}

/** fetch as it was before the check was installed: the check's own requests and http() use it. */
export function uncheckedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return state().rawFetch(input, init);
}

/**
 * Loads and compiles the document of an instance just started on this port, replacing any of an
 * earlier instance there. Done at start, before a suite counts requests against a rate limit.
 */
export function registerInstance(port: number): Promise<Contract> {
  const contract = (async () => {
    const response = await uncheckedFetch(`http://127.0.0.1:${port}/v2/api-docs`);
    if (response.status !== 200) throw new ContractViolation(`GET /v2/api-docs on port ${port} answered ${response.status}`);
    return new Contract((await response.json()) as OpenApiDocument);
  })();
  state().contracts.set(port, contract);
  return contract;
}

/** Checks an answer of one of this suite's instances (others are let through); throws the violation. */
export async function checkResponse(port: number, observed: ObservedResponse): Promise<void> {
  const contract = state().contracts.get(port);
  if (!contract) return;
  const violation = (await contract).violation(observed);
  if (!violation) return;
  throw new ContractViolation(`Contract violation (docs/protocol.md, /v2/api-docs): ${violation}\nbody: ${observed.text.slice(0, 300)}`);
}

function requestOf(input: string | URL | Request, init?: RequestInit): { url: URL; method: string } {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  return { url, method };
}

/** Replaces the global fetch with one that checks the answers of the suite's own instances (jest setupFilesAfterEnv). */
export function installFetchCheck(): void {
  const { rawFetch } = state();
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const response = await rawFetch(input, init);
    const { url, method } = requestOf(input, init);
    const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    if (local && state().contracts.has(Number(url.port))) {
      const text = await response.clone().text();
      const contentType = response.headers.get('content-type');
      await checkResponse(Number(url.port), { method, url: `${url.pathname}${url.search}`, status: response.status, contentType, text });
    }
    return response;
  };
}
