import fc from 'fast-check';
import { MessageType } from '../../src/protocol';

/**
 * Generators of hostile input for the fuzz suites: odd strings and numbers, deep nesting, extra
 * and missing fields, malformed JSON. Values that JSON.stringify cannot write (-0, 2^63 exactly,
 * 1e999, 5000 levels of nesting) travel as placeholders that `toWire` expands into raw JSON text.
 */

/** Fixed, so that a failure is reproduced by running again; FUZZ_SEED explores other inputs. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261126);

/** Runs of one property: bounded so that a whole fuzz suite stays near a minute per mode. */
export function fuzzRuns(numRuns: number): fc.Parameters<unknown> {
  const scale = Number(process.env.FUZZ_RUNS_SCALE ?? 1);
  // A server in the loop does not shrink well (a crash fails every later run): report the first failure as found.
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * scale)), endOnFailure: true };
}

const PLACEHOLDER = '\u0001wire:';
const PLACEHOLDER_PATTERN = /"\\u0001wire:([^"\\]*)"/g;

/** A number written exactly as `text` in the JSON (e.g. "-0", "9223372036854775808", "1e999"). */
export function rawNumber(text: string): string {
  return `${PLACEHOLDER}num:${text}`;
}

/** `depth` nested arrays or objects, deeper than JSON.stringify (or a recursive validator) can walk. */
export function deepValue(kind: 'array' | 'object', depth: number): string {
  return `${PLACEHOLDER}deep:${kind}:${depth}`;
}

function expand(spec: string): string {
  const [kind, a, b] = spec.split(':');
  if (kind === 'num') return a;
  const depth = Number(b);
  return a === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);
}

/** The JSON text of a generated value, with placeholders expanded. */
export function toWire(value: unknown): string {
  return JSON.stringify(value).replace(PLACEHOLDER_PATTERN, (_match, spec: string) => expand(spec));
}

/** A short form of a generated value for failure reports: the middle of long text is cut. */
export function preview(value: unknown, max = 400): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return clip(
    text.replace(PLACEHOLDER_PATTERN, (_m, spec: string) => `<${spec}>`),
    max,
  );
}

/** Raw text, with the middle of a long one cut, for failure reports. */
export function clip(text: string, max = 400): string {
  return text.length <= max ? text : `${text.slice(0, max - 80)} …(${text.length} chars)… ${text.slice(-60)}`;
}

/** Makes fast-check print `value` in its short form in a counterexample. */
export function labelled<T extends object>(value: T): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => preview(value), enumerable: false });
  return value;
}

/** Strings that have broken servers before: control and format characters, lone surrogates, markup, injection. */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udc00y',
  '\ud83d',
  '\u202e',
  'abc\u202edcba',
  '\u2066x\u2069',
  '\u200f',
  '\u200b',
  '\ufeff',
  '\u00ad',
  '\u0007',
  '\r\n',
  '\t',
  '\u001b[31m',
  '\u0085',
  '\u2028\u2029',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"\'&<>',
  '%00',
  '%s%n%x',
  '${jndi:ldap://x/a}',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '%',
  '_',
  '\\',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '../../etc/passwd',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-0',
  '1e308',
  'e\u0301',
  '\u00e9',
  '\ufb01',
  '\uff41\uff44\uff4d\uff49\uff4e',
  '\u0130',
  '\u00df',
  '\ud83c\udff3\ufe0f\u200d\ud83c\udf08',
  '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67',
  'Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307l\u036e\u0312\u036bg\u030c\u0317\u035a\u031ao',
  '\uff38'.repeat(40),
  'admin',
  'ADMIN',
  'system',
  'host',
];

const textCharacters = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
);

/** Long strings: up to 24000 bytes of JSON, under the default 32 KiB frame limit. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('x', '\u00e9', '\ud83d\ude00', '\u0000', '\ud800', '<'), fc.integer({ min: 300, max: 4000 }))
  .map(([unit, count]) => unit.repeat(count));

/** Odd strings of up to a few hundred characters (fit for a URL). */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 3, arbitrary: textCharacters },
  { weight: 2, arbitrary: fc.tuple(textCharacters, fc.constantFrom(...ODD_STRINGS), textCharacters).map(([a, b, c]) => a + b + c) },
);

export const oddString: fc.Arbitrary<string> = fc.oneof({ weight: 9, arbitrary: oddText }, { weight: 1, arbitrary: hugeString });

/** Numbers a typed language would not expect: -0, floats, past 2^53 and 2^63, 1e308, and 1e999 (Infinity once parsed). */
export const oddNumber: fc.Arbitrary<number | string> = fc.oneof(
  fc.constantFrom<number | string>(
    0,
    1,
    -1,
    0.5,
    -2.5,
    1e308,
    -1e308,
    5e-324,
    2 ** 31,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 63,
    -(2 ** 63),
    2 ** 64,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    rawNumber('-0'),
    rawNumber('-0.0'),
    rawNumber('1.0'),
    rawNumber('1E2'),
    rawNumber('9223372036854775807'),
    rawNumber('9223372036854775808'),
    rawNumber('-9223372036854775809'),
    rawNumber('18446744073709551616'),
    rawNumber('9007199254740993'),
    rawNumber('1e999'),
    rawNumber('-1e999'),
    rawNumber('1e-400'),
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Deep nesting: a few levels, or thousands (past what JSON.stringify and recursive walkers survive). */
export const deepNesting: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom<'array' | 'object'>('array', 'object'),
    fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 3000, max: 5000 })),
  )
  .map(([kind, depth]) => deepValue(kind, depth));

export const oddScalar: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), fc.boolean(), oddNumber, oddString);

/** Keys that are not what a handler expects, among them the ones that reach for prototypes. */
export const oddKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '',
    ' ',
    'messageType ',
    'MessageType',
    'sequenceId\u0000',
    'admin',
    'isAdmin',
    'role',
    '\ud800',
    '$where',
  ),
  fc.string({ maxLength: 12 }),
);

/** Builds an object without invoking setters: `__proto__` becomes an own key, as JSON.parse makes it. */
export function plainObject(entries: [string, unknown][]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

/** Any JSON value, with odd scalars, odd keys and deep nesting at any level. */
export const oddValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: oddScalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(fc.tuple(oddKey, tie('value')), { maxLength: 4 }).map(plainObject) },
    { weight: 1, arbitrary: deepNesting },
  ),
})).value;

/** Fields nobody asked for. */
export const extraFields: fc.Arbitrary<[string, unknown][]> = fc.array(fc.tuple(oddKey, oddValue), { maxLength: 3 });

export type FieldModel = Record<string, fc.Arbitrary<unknown>>;

/** A frame of `messageType` whose fields come from `model`, each one possibly missing, plus extra fields. */
export function frameOf(messageType: number, model: FieldModel): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(extraFields, fc.record(model, { requiredKeys: [] }))
    .map(([extra, fields]) => labelled(plainObject([...extra, ...Object.entries(fields), ['messageType', messageType]])));
}

/** A field that is usually one of the meaningful `values` and otherwise anything at all. */
export function mostly<T>(values: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<unknown> {
  return fc.oneof({ weight, arbitrary: values }, { weight: 1, arbitrary: oddValue });
}

/**
 * A password field: the right one, plausible wrong ones, the byte limits' edges, and anything else
 * (LoginRequest, RegisterRequest, ChangePasswordRequest).
 */
export function passwordOf(right: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(right, 'wrong-pass', 'another-pass-1') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'short',
        'x'.repeat(72),
        'x'.repeat(73),
        '\u00e9'.repeat(36),
        '\u00e9'.repeat(37),
        'a\u0000bcdef',
        '\ud800abcdef',
      ),
    },
    { weight: 2, arbitrary: oddValue },
  );
}

/** Content for a send: plausible text, the byte limit's edges, and anything else. */
export function contentOf(maxBytes: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'x'.repeat(maxBytes),
        'x'.repeat(maxBytes + 1),
        '\u00e9'.repeat(maxBytes / 2),
        '\u00e9'.repeat(maxBytes / 2) + 'x',
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('<b>bold</b>', '\u202eevil', 'a\u0000b', 'x\ud800', '\ud83d\ude00', ' ', '\r\n') },
    { weight: 2, arbitrary: oddValue },
  );
}

/** Text that is not a JSON object: broken, truncated, scalars, arrays, duplicate keys, a BOM. */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    `{"messageType":${MessageType.Ping}`,
    `{"messageType":${MessageType.Ping}}}`,
    `{"messageType":${MessageType.Ping}} x`,
    `{messageType:${MessageType.Ping}}`,
    `{'messageType':${MessageType.Ping}}`,
    `{"messageType":${MessageType.Ping},}`,
    `{"messageType":0${MessageType.Ping}}`,
    '{"messageType":NaN}',
    '{"messageType":Infinity}',
    '{"messageType":undefined}',
    `\ufeff{"messageType":${MessageType.Ping}}`,
    'null',
    'true',
    '0',
    '"text"',
    '[]',
    `[{"messageType":${MessageType.Ping}}]`,
    '{"a":"\\ud800"',
    '{"a":"\\x41"}',
    '{"a":"\u0000"}',
    '{"a":"\\u00"}',
    `/* comment */ {"messageType":${MessageType.Ping}}`,
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.tuple(fc.string({ maxLength: 20 }), oddValue).map(([prefix, value]) => prefix + toWire(value)),
  oddValue.map((value) => {
    const text = toWire(value);
    return text.slice(0, Math.max(0, text.length - 1));
  }),
);

export const FORBIDDEN_LEAKS: readonly RegExp[] = [/\bat .*\.(js|ts):\d+/, /node_modules/];

/** The first sign of a stack trace or a server path in `text`, or null. */
export function leakIn(text: string): string | null {
  for (const pattern of FORBIDDEN_LEAKS) {
    const match = pattern.exec(text);
    if (match) return match[0].slice(0, 120);
  }
  return null;
}
