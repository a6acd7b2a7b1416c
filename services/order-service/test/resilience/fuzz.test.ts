// Property-based fuzzing of every operation of openapi/order-service.yaml against the built service
// as a process (canary secrets, real PostgreSQL, Redis, stand-ins and the health sidecar). For each
// operation, seeded and reproducible (FUZZ_SEED), hundreds of requests with odd path ids, query
// strings, bodies and tokens; whatever comes in: never a 5xx, every 4xx an RFC 9457 problem of its
// own status, and nothing written (database and product stock) when the request is refused.
import fc from 'fast-check';
import type { Document } from 'openapi-backend';
import { listOperations, loadApiDocument } from '../../src/http/api.js';
import { HEAVY, until } from './support/harness.js';
import {
  databaseFingerprint,
  fingerprintChange,
  problemViolations,
  startStack,
  stockFingerprint,
  type Stack,
} from './support/fuzz-support.js';

// A failure prints the seed and the request; the cases depend on the orders and stock earlier
// operations left, so reproduce with FUZZ_SEED=<seed> over the whole file.
const SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) : 20_240_607;
if (!Number.isSafeInteger(SEED)) throw new Error(`FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);
const RUNS = HEAVY ? 1000 : 200;
const OWNER = 7101;
const OTHER = 7102;
const ADMIN = 1;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

type Json = Record<string, unknown>;
type Schema = Json;

interface Operation {
  operationId: string;
  method: string;
  path: string;
  pathParams: Array<{ name: string; schema: Schema }>;
  queryParams: Array<{ name: string; schema: Schema; required?: boolean }>;
  headerParams: Array<{ name: string; schema: Schema }>;
  bodySchema: Schema | undefined;
}

// ---- the document ---------------------------------------------------------------------------

const document = loadApiDocument();

function deref<T = Json>(doc: Document, node: unknown): T {
  let current = node as Json;
  for (let hops = 0; current && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref loop at ${String(current.$ref)}`);
    const segments = (current.$ref as string).replace(/^#\//, '').split('/');
    current = segments.reduce<Json>((at, s) => at[s.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, doc as unknown as Json);
  }
  return current as T;
}

/** Every operation of the document with its parameters and JSON body schema (a new one is fuzzed without a change here). */
function operationsOf(doc: Document): Operation[] {
  const result: Operation[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = deref<Json>(doc, rawItem);
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const params = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])].map((p) =>
        deref<{ name: string; in: string; schema: Schema; required?: boolean }>(doc, p),
      );
      const body = op.requestBody ? deref<Json>(doc, op.requestBody) : undefined;
      const content = body?.content as Record<string, { schema?: unknown }> | undefined;
      const pick = (where: string) => params.filter((p) => p.in === where).map((p) => ({ name: p.name, schema: deref<Schema>(doc, p.schema), required: p.required === true }));
      result.push({
        operationId: String(op.operationId),
        method: method.toUpperCase(),
        path,
        pathParams: pick('path'),
        queryParams: pick('query'),
        headerParams: pick('header'),
        bodySchema: content?.['application/json']?.schema ? deref<Schema>(doc, content['application/json'].schema) : undefined,
      });
    }
  }
  return result;
}

const operations = operationsOf(document);

// ---- what a case is --------------------------------------------------------------------------

type PathValue = { existing: number } | { raw: string } | { encoded: string };
type Auth = { kind: 'none' } | { kind: 'user'; which: number } | { kind: 'admin' } | { kind: 'garbage'; header: string } | { kind: 'badToken'; which: number };
type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; contentType: string }
  | { kind: 'text'; text: string; contentType: string }
  | { kind: 'huge'; kilobytes: number };

interface Case {
  method: string;
  path: Record<string, PathValue>;
  query: string;
  headers: Array<[string, string]>;
  body: Body;
  auth: Auth;
}

// ---- arbitraries -----------------------------------------------------------------------------

const NASTY_STRINGS = [
  '../',
  '..',
  '../../etc/passwd',
  '..%2F..%2Fadmin%2Forders',
  '%2e%2e%2f',
  "1' OR '1'='1",
  "pending' OR '1'='1",
  '1;DROP TABLE orders',
  '1; DROP TABLE orders;--',
  '1 UNION SELECT * FROM orders',
  '$ne',
  '{"$gt":""}',
  '__proto__',
  'constructor',
  'prototype',
  '%00',
  '\u0000',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '😀💥🔥',
  'Ω≈ç√∫',
  '\ud83d',
];
const HUGE_NUMBERS = [
  '9007199254740991',
  '9007199254740992',
  '18446744073709551616',
  `1${'0'.repeat(400)}`,
  '1e309',
  '1e3',
  '0x1F',
  '1.0',
  '1.5',
  '01',
  '+1',
  ' 1',
  '1 ',
  '-0',
];
const EXTRA_KEYS = [
  'user_id',
  'total_amount',
  'status',
  'price',
  'unit_price',
  'order_number',
  'payment_status',
  'id',
  'version',
  'subtotal',
  'role',
  'is_admin',
  '__proto__',
  'constructor',
];
const UNKNOWN_QUERY_NAMES = ['user_id', 'sort', '__proto__', '__proto__[role]', 'constructor[prototype][role]', 'page[]', 'status[$ne]', 'size[0]', ''];
const RAW_QUERY_JUNK = ['%', '%ZZ', '&&&', '=', '==1', 'page=%E0%A4%A', 'a=%00', 'status=pending&status=shipped', 'page=1&page=2', '%26page%3D0'];
// a body that says it is compressed and is not (or is compressed in a way Node cannot read)
const CONTENT_ENCODINGS = ['gzip', 'deflate', 'br', 'x-gzip', 'identity', 'compress', 'zstd', 'gzip, gzip', 'GZIP'];
const FORWARDED_PREFIXES = ['/order', '/order/', '//evil.example', 'https://evil.example', '/../admin', '/a b', '/é', '/order?x=1'];
const CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/merge-patch+json', 'multipart/form-data; boundary=x', ''];

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const latin1 = fc.string({ unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const unicode = fc.string({ unit: 'grapheme', maxLength: 20 });
const nasty = fc.constantFrom(...NASTY_STRINGS);
const bigString = fc.constantFrom('x'.repeat(5000), 'é'.repeat(3000), '😀'.repeat(1500), ' '.repeat(2000));

// every four-digit year (fc.date favours the ends of the range), and date-times RFC 3339 allows
// that Date reads badly or not at all: leap seconds, extreme offsets, nanoseconds, lower case
// and, as often, a date of one recent season: two of those make a from/to range an export accepts
const anyDate = fc.oneof(
  fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
  fc.date({ min: new Date('2024-03-01T00:00:00.000Z'), max: new Date('2024-06-30T23:59:59.999Z'), noInvalidDate: true }),
);
const ODD_DATE_TIMES = [
  '2016-12-31T23:59:60Z',
  '1998-12-31T23:59:60.5Z',
  '2024-06-30T23:59:60+00:00',
  '2024-01-01T00:00:00+23:59',
  '2024-01-01T00:00:00-23:59',
  '2024-01-01T00:00:00.123456789Z',
  '2024-01-01t00:00:00z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59-01:00',
];

/** A value that satisfies the schema (with catalogue product ids and small quantities, so orders can succeed). */
function validValue(schema: Schema, name = ''): fc.Arbitrary<unknown> {
  const s = deref<Schema>(document, schema);
  let arb: fc.Arbitrary<unknown>;
  if (Array.isArray(s.enum)) arb = fc.constantFrom(...(s.enum as unknown[]).filter((v) => v !== null));
  else if (Array.isArray(s.anyOf)) arb = fc.oneof(...(s.anyOf as Schema[]).map((alt) => validValue({ ...s, anyOf: undefined, ...alt }, name)));
  else if (s.type === 'object') arb = validObject(s);
  else if (s.type === 'array') {
    const items = s.items as Schema;
    arb = fc.array(validValue(items), { minLength: Number(s.minItems ?? 0), maxLength: Math.min(Number(s.maxItems ?? 3), 3) });
  } else if (s.type === 'integer') {
    if (name === 'product_id') arb = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }) });
    else if (name === 'quantity') arb = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }) });
    else {
      const min = Number(s.minimum ?? 0);
      arb = fc.integer({ min, max: Math.min(Number(s.maximum ?? min + 50), min + 50) });
    }
  } else if (s.type === 'number') arb = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  else if (s.type === 'boolean') arb = fc.boolean();
  else if (s.type === 'string') {
    if (s.format === 'email') arb = fc.constantFrom('shopper@example.test', 'a.b+c@example.org');
    else if (s.format === 'date') arb = anyDate.map((d) => d.toISOString().slice(0, 10));
    else if (s.format === 'date-time') arb = fc.oneof({ weight: 4, arbitrary: anyDate.map((d) => d.toISOString()) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_DATE_TIMES) });
    else {
      const minLength = Number(s.minLength ?? 0);
      const maxLength = Math.max(minLength, Math.min(Number(s.maxLength ?? 30), 30));
      arb = fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength, maxLength }), fc.string({ unit: 'grapheme', minLength, maxLength }));
    }
  } else arb = fc.constant('x');
  return s.nullable === true ? fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) }) : arb;
}

function validObject(s: Schema): fc.Arbitrary<Json> {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = (s.required ?? []) as string[];
  const model = Object.fromEntries(Object.entries(properties).map(([k, p]) => [k, validValue(p, k)]));
  const minProperties = Number(s.minProperties ?? 0);
  return fc.record(model, { requiredKeys: required }).filter((o) => Object.keys(o).length >= minProperties) as fc.Arbitrary<Json>;
}

/** A value that breaks the schema: wrong type, out of range, too long, or plain nasty. */
function wrongValue(schema: Schema): fc.Arbitrary<unknown> {
  const s = deref<Schema>(document, schema);
  const specific: unknown[] = [];
  if (s.type === 'integer' || s.type === 'number') {
    if (s.minimum !== undefined) specific.push(Number(s.minimum) - 1, Number(s.minimum) - 0.5);
    if (s.maximum !== undefined) specific.push(Number(s.maximum) + 1);
    specific.push(2 ** 53, -(2 ** 53), 1e308, 1.5, '1', '');
  }
  if (s.type === 'string') {
    if (s.maxLength !== undefined) specific.push('y'.repeat(Number(s.maxLength) + 1));
    if (s.minLength !== undefined) specific.push('');
    if (Array.isArray(s.enum)) specific.push(String(s.enum[0]).toUpperCase(), `${String(s.enum[0])} `, 'teleported', 0);
    specific.push(12345, true);
  }
  if (s.type === 'array') specific.push([], {}, 'items', Array.from({ length: Number(s.maxItems ?? 100) + 1 }, () => ({ product_id: 1, quantity: 1 })));
  if (s.type === 'object') specific.push([], 'object', 1, null, {});
  return fc.oneof(
    ...(specific.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...specific) }] : []),
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, [], {}) },
    { weight: 1, arbitrary: fc.oneof(printable, unicode, nasty, bigString) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(printable, fc.integer(), { maxKeys: 3 })) },
  );
}

const ABSENT = Symbol('absent');

/** The schema's shape with each field kept, broken, dropped or (objects, arrays) fuzzed inside, plus extra fields. */
function mutatedValue(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const s = deref<Schema>(document, schema);
  const options: Array<fc.WeightedArbitrary<unknown>> = [
    { weight: 4, arbitrary: validValue(s) },
    { weight: 2, arbitrary: wrongValue(s) },
  ];
  if (s.type === 'object' && depth < 3) options.push({ weight: 3, arbitrary: mutatedObject(s, depth + 1) });
  if (s.type === 'array' && depth < 3) options.push({ weight: 2, arbitrary: fc.array(mutatedValue(s.items as Schema, depth + 1), { maxLength: 4 }) });
  return fc.oneof(...options);
}

function mutatedObject(s: Schema, depth: number): fc.Arbitrary<Json> {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const fields = Object.fromEntries(
    Object.entries(properties).map(([k, p]) => [
      k,
      fc.oneof({ weight: 3, arbitrary: validValue(p, k) }, { weight: 2, arbitrary: mutatedValue(p, depth) }, { weight: 2, arbitrary: fc.constant(ABSENT) }),
    ]),
  );
  const extras = fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...EXTRA_KEYS) }, { weight: 1, arbitrary: printable }), fc.oneof(fc.jsonValue({ maxDepth: 2 }), nasty)), {
    maxLength: 3,
  });
  return fc.record({ fields: fc.record(fields), extras: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: extras }) }).map(({ fields: f, extras: x }) => {
    const out: Json = {};
    for (const [k, v] of Object.entries(f)) if (v !== ABSENT) out[k] = v;
    // defineProperty, so "__proto__" is an own key that JSON.stringify sends
    for (const [k, v] of x) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

function bodyArbitrary(op: Operation, method: string): fc.Arbitrary<Body> {
  if (method === 'GET' || method === 'HEAD') return fc.constant({ kind: 'none' });
  const json = (value: fc.Arbitrary<unknown>) =>
    fc.tuple(value, fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) })).map(
      ([v, contentType]): Body => ({ kind: 'json', value: v, contentType }),
    );
  const text = (t: fc.Arbitrary<string>) => t.map((s): Body => ({ kind: 'text', text: s, contentType: 'application/json' }));
  const invalidJson = fc.constantFrom('{', '{"shipping_address":', "{'a':1}", 'nul', '[1,]', '{"a":1,}', '\u0000', 'undefined', '\ufeff{}', '{"a":1}{"b":2}', '1e999999', '"\\ud800"', '{"a":"\\x41"}');
  const garbage: Array<fc.WeightedArbitrary<Body>> = [
    { weight: 1, arbitrary: json(fc.anything()) },
    { weight: 1, arbitrary: text(fc.json({ maxDepth: 3 })) },
    { weight: 1, arbitrary: text(invalidJson) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: 'huge', kilobytes: 101 }, { kind: 'huge', kilobytes: 99 }, { kind: 'huge', kilobytes: 400 }) },
  ];
  if (!op.bodySchema) return fc.oneof({ weight: 6, arbitrary: fc.constant<Body>({ kind: 'none' }) }, ...garbage);
  return fc.oneof({ weight: 5, arbitrary: json(validValue(op.bodySchema)) }, { weight: 6, arbitrary: json(mutatedObject(op.bodySchema, 1)) }, ...garbage);
}

function pathValueArbitrary(): fc.Arbitrary<PathValue> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((i): PathValue => ({ existing: i })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((n): PathValue => ({ encoded: String(n) })) },
    { weight: 1, arbitrary: fc.constantFrom(...HUGE_NUMBERS).map((v): PathValue => ({ encoded: v })) },
    { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 0 }).map((n): PathValue => ({ encoded: String(n) })) },
    { weight: 1, arbitrary: fc.oneof(printable, unicode, latin1).map((v): PathValue => ({ encoded: v })) },
    { weight: 2, arbitrary: nasty.chain((v) => fc.constantFrom<PathValue>({ raw: v }, { encoded: v })) },
  );
}

function queryValueArbitrary(schema: Schema): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: validValue(schema).map((v) => String(v)) },
    { weight: 1, arbitrary: fc.constantFrom('', 'abc', '-1', '0', '1.5', '1e3', '99999999999999999999', 'PENDING', 'pending ', '2024-13-45', 'yesterday') },
    { weight: 1, arbitrary: fc.oneof(printable, unicode, nasty, fc.constantFrom(...HUGE_NUMBERS)) },
  );
}

function queryArbitrary(op: Operation): fc.Arbitrary<string> {
  const known = op.queryParams.length
    ? fc.array(fc.tuple(fc.constantFrom(...op.queryParams.map((p) => p.name)), fc.nat()), { minLength: 1, maxLength: 4 }).chain((picks) =>
        fc.tuple(...picks.map(([name]) => queryValueArbitrary(op.queryParams.find((p) => p.name === name)!.schema).map((v) => [name, v] as [string, string]))),
      )
    : fc.constant([] as Array<[string, string]>);
  const unknown = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...UNKNOWN_QUERY_NAMES), printable), fc.oneof(printable, nasty)), { minLength: 1, maxLength: 2 });
  const encode = (pairs: Array<[string, string]>) => (pairs.length ? `?${new URLSearchParams(pairs.map(([k, v]): [string, string] => [wellFormed(k), wellFormed(v)])).toString()}` : '');
  // every required parameter once with a valid value: otherwise an operation with two of them
  // (the export's from and to) would almost never get past validation
  const required = op.queryParams.filter((p) => p.required);
  const complete = fc.tuple(...required.map((p) => validValue(p.schema).map((v) => [p.name, String(v)] as [string, string])), known).map(([...parts]) => {
    const extra = parts.pop() as Array<[string, string]>;
    return encode([...(parts as Array<[string, string]>), ...extra.filter(([name]) => !required.some((p) => p.name === name))]);
  });
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant('') },
    { weight: 5, arbitrary: known.map(encode) },
    ...(required.length ? [{ weight: 5, arbitrary: complete }] : []),
    { weight: 1, arbitrary: fc.tuple(known, unknown).map(([a, b]) => encode([...a, ...b])) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_QUERY_JUNK).map((q) => `?${q}`) },
  );
}

function headerArbitrary(op: Operation): fc.Arbitrary<Array<[string, string]>> {
  const value = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: name === 'If-Match' ? fc.constantFrom('"1"', '"2"', '*', 'W/"1"', '"999"', '"1", "2"') : fc.uuid() },
      { weight: 1, arbitrary: fc.oneof(printable, latin1, fc.constant('k'.repeat(300)), fc.constant("'; DROP TABLE idempotency_keys; --")) },
    );
  const optional = [...op.headerParams.map((p) => p.name), 'X-Request-ID'].map((name) =>
    fc.option(value(name).map((v) => [name, v] as [string, string]), { nil: undefined, freq: 2 }),
  );
  // rarer headers the service reads or its body parser acts on
  const rarely = (name: string, values: string[]) =>
    fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...values).map((v) => [name, v] as [string, string]) });
  optional.push(rarely('X-Forwarded-Prefix', FORWARDED_PREFIXES), rarely('Content-Encoding', CONTENT_ENCODINGS));
  return fc.tuple(...optional).map((pairs) => pairs.filter((p): p is [string, string] => p !== undefined && p[1].trim() !== ''));
}

const authArbitrary: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Auth>({ kind: 'none' }) },
  { weight: 3, arbitrary: fc.constantFrom<Auth>({ kind: 'user', which: 0 }, { kind: 'user', which: 1 }) },
  { weight: 3, arbitrary: fc.constant<Auth>({ kind: 'admin' }) },
  { weight: 1, arbitrary: fc.nat().map((which): Auth => ({ kind: 'badToken', which })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', 'Bearer ..', 'bearer x', 'Token abc'), printable.map((t) => `Bearer ${t}`), latin1)
      .map((header): Auth => ({ kind: 'garbage', header })),
  },
);

function caseArbitrary(op: Operation): fc.Arbitrary<Case> {
  const otherMethods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'].filter((m) => m !== op.method);
  const method = fc.oneof({ weight: 19, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...otherMethods) });
  return method.chain((m) =>
    fc.record({
      method: fc.constant(m),
      path: fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, pathValueArbitrary()]))),
      query: queryArbitrary(op),
      headers: headerArbitrary(op),
      body: bodyArbitrary(op, m),
      auth: authArbitrary,
    }),
  );
}

/** encodeURIComponent that does not throw on a lone surrogate (it becomes U+FFFD, as a browser sends it). */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

// ---- running a case --------------------------------------------------------------------------

let stack: Stack;
const tokens: { users: string[]; admin: string; bad: string[] } = { users: [], admin: '', bad: [] };
/** ids of orders that exist (created before the run and by every successful create) */
const orderIds: number[] = [];
const seen = new Map<string, { cases: number; statuses: Map<number, number>; reached: number }>();

function urlOf(op: Operation, c: Case): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = c.path[name]!;
    if ('existing' in v) return String(orderIds[v.existing % orderIds.length]);
    if ('raw' in v) return v.raw;
    return encodeURIComponent(wellFormed(v.encoded));
  });
  return `${stack.url}${path}${c.query}`;
}

function initOf(c: Case): RequestInit {
  const headers: Record<string, string> = {};
  for (const [k, v] of c.headers) headers[k] = v;
  if (c.auth.kind === 'user') headers.authorization = `Bearer ${tokens.users[c.auth.which]}`;
  if (c.auth.kind === 'admin') headers.authorization = `Bearer ${tokens.admin}`;
  if (c.auth.kind === 'badToken') headers.authorization = `Bearer ${tokens.bad[c.auth.which % tokens.bad.length]}`;
  if (c.auth.kind === 'garbage') headers.authorization = c.auth.header;
  let body: string | undefined;
  if (c.body.kind === 'json') {
    body = JSON.stringify(c.body.value) ?? 'null';
    if (c.body.contentType) headers['content-type'] = c.body.contentType;
  } else if (c.body.kind === 'text') {
    body = c.body.text;
    headers['content-type'] = c.body.contentType;
  } else if (c.body.kind === 'huge') {
    body = JSON.stringify({ notes: 'n'.repeat(c.body.kilobytes * 1024) });
    headers['content-type'] = 'application/json';
  }
  return { method: c.method, headers, body, redirect: 'manual' };
}

/** Whether the operation's own handler answered (not routing, authentication or validation). */
function handlerReached(status: number, text: string): boolean {
  if (status < 400) return true;
  if (![404, 409, 412, 422].includes(status)) return false;
  return !text.includes('No route matches');
}

async function runCase(op: Operation, c: Case): Promise<void> {
  const url = urlOf(op, c);
  const init = initOf(c);
  const database = await databaseFingerprint(stack.db);
  const stock = stockFingerprint(stack.peers);
  const res = await stack.transcript.fetch(url, init);
  const tally = seen.get(op.operationId)!;
  tally.cases += 1;
  tally.statuses.set(res.status, (tally.statuses.get(res.status) ?? 0) + 1);
  if (handlerReached(res.status, res.text)) tally.reached += 1;

  const problems: string[] = [];
  if (res.status >= 500) problems.push(`a ${res.status}`);
  if (res.status >= 400 && c.method !== 'HEAD') problems.push(...problemViolations(res));
  // HEAD has no body to check, but the headers are those of the problem
  if (res.status >= 400 && c.method === 'HEAD' && !(res.headers.get('content-type') ?? '').startsWith('application/problem+json')) {
    problems.push(`content-type is '${res.headers.get('content-type') ?? ''}' on a refused HEAD`);
  }
  if (res.status >= 400) {
    const change = fingerprintChange(database, await databaseFingerprint(stack.db));
    if (change) problems.push(`the database changed on a refused request: ${change}`);
    const stockAfter = stockFingerprint(stack.peers);
    if (stockAfter !== stock) problems.push(`the product stock changed on a refused request: ${stock} -> ${stockAfter}`);
  } else if (res.status === 201) {
    const id = Number(res.json().id);
    if (Number.isSafeInteger(id)) orderIds.push(id);
  }
  if (problems.length > 0) {
    const sent = typeof init.body === 'string' && init.body.length > 300 ? `${init.body.slice(0, 300)}… (${init.body.length} chars)` : init.body;
    throw new Error(
      `${c.method} ${url}\nheaders: ${JSON.stringify(init.headers)}\nbody: ${String(sent)}\n` +
        `answer: ${res.status} ${res.headers.get('content-type') ?? ''} ${res.text.slice(0, 400)}\n- ${problems.join('\n- ')}`,
    );
  }
}

// ---- the tests -------------------------------------------------------------------------------

const address = { address: '1 Fuzz Lane', city: 'Springfield', postal_code: '62701', country: 'US' };

beforeAll(async () => {
  stack = await startStack({ sidecar: true });
  tokens.users = [await stack.tokens.user(OWNER), await stack.tokens.user(OTHER)];
  tokens.admin = await stack.tokens.admin(ADMIN);
  tokens.bad = [
    'not.a.jwt',
    await stack.tokens.bad.expired(),
    await stack.tokens.bad.wrongKey(),
    await stack.tokens.bad.algNone(),
    await stack.tokens.bad.hs512(),
    await stack.tokens.bad.rs256(),
    await stack.tokens.bad.missingSub(),
    await stack.tokens.bad.nonNumericSub(),
    await stack.tokens.bad.notYetValid(),
    `${tokens.admin.slice(0, -4)}AAAA`,
  ];
  // orders of two shoppers, so "existing" ids are sometimes the caller's and sometimes someone else's
  for (const [token, product] of [[tokens.users[0]!, 3], [tokens.users[0]!, 1], [tokens.users[1]!, 3], [tokens.users[1]!, 2], [tokens.admin, 8]] as const) {
    const res = await stack.transcript.fetch(`${stack.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ product_id: product, quantity: 1 }], shipping_address: address }),
    });
    expect(res.status).toBe(201);
    orderIds.push(Number(res.json().id));
  }
}, 60_000);

afterAll(async () => {
  if (!stack) return;
  const summary = [...seen].map(([id, t]) => `${id}: ${t.cases} cases, handler ${t.reached}, ${[...t.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.info(`fuzz seed ${SEED}, ${RUNS} cases per operation\n${summary.join('\n')}`);
  await stack.stop();
  const leaks = stack.transcript.leaks();
  expect(leaks.checkedChars).toBeGreaterThan(0);
  expect(leaks.found).toEqual([]);
}, 60_000);

test('the fuzzer covers every operation the document has (and the document has them all)', () => {
  const listed = listOperations(document).map((o) => o.operationId);
  expect(operations.map((o) => o.operationId)).toEqual(listed);
  expect(new Set(listed).size).toBe(listed.length);
  expect(listed.length).toBeGreaterThanOrEqual(29);
  // every body schema and parameter resolved to something concrete
  for (const op of operations) {
    for (const p of [...op.pathParams, ...op.queryParams, ...op.headerParams]) expect(p.schema.type ?? p.schema.enum ?? p.schema.anyOf).toBeDefined();
    if (op.bodySchema) expect(op.bodySchema.type).toBe('object');
  }
});

describe.each(operations.map((op) => [`${op.method} ${op.path} (${op.operationId})`, op] as const))('%s', (_name, op) => {
  test(
    `${RUNS} fuzzed requests: never a 5xx, every 4xx a problem of its status, nothing written when refused`,
    async () => {
      seen.set(op.operationId, { cases: 0, statuses: new Map(), reached: 0 });
      await fc.assert(
        fc.asyncProperty(caseArbitrary(op), (c) => runCase(op, c)),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      const tally = seen.get(op.operationId)!;
      expect(tally.cases).toBeGreaterThanOrEqual(RUNS);
      // the cases did not all bounce off routing, authentication or validation
      expect(tally.reached).toBeGreaterThan(0);
    },
    HEAVY ? 900_000 : 120_000,
  );
});

test('every edge date the schema accepts in from/to is answered without a 5xx, on every operation that takes them', async () => {
  const ranged = operations.filter((op) => op.queryParams.some((p) => p.name === 'from'));
  expect(ranged.length).toBeGreaterThan(0);
  const dates = ['0000-01-01', '0001-01-01', '9999-12-31', '2024-02-29', ...ODD_DATE_TIMES];
  for (const op of ranged) {
    for (const name of ['from', 'to']) {
      for (const value of dates) {
        const url = `${stack.url}${op.path}?${new URLSearchParams({ [name]: value }).toString()}`;
        const res = await stack.transcript.fetch(url, { method: op.method, headers: { authorization: `Bearer ${tokens.admin}` } });
        expect({ url, status: res.status < 500 ? 'below 500' : res.status }).toEqual({ url, status: 'below 500' });
        if (res.status >= 400) expect(problemViolations(res)).toEqual([]);
      }
    }
  }
});

test('the service is still up and answering after the whole run', async () => {
  expect(stack.service.child.exitCode).toBeNull();
  await until(async () => (await stack.transcript.fetch(`${stack.url}/health`)).status === 200, 5000, 'GET /health after the fuzz run');
  const me = await stack.transcript.fetch(`${stack.url}/orders`, { headers: { authorization: `Bearer ${tokens.users[0]}` } });
  expect(me.status).toBe(200);
  expect(Array.isArray(me.json())).toBe(true);
});
