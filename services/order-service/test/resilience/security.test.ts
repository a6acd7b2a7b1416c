// Attacks on the built service as a process (canary secrets, real PostgreSQL, Redis and stand-ins):
// forged and malformed JWTs, one shopper reaching for another's order or an admin route, mass
// assignment, oversized and deeply nested bodies, header and query injection, prototype pollution
// and CORS in production. Every refusal is a problem+json of the right status, is logged, and
// leaves the database and the product stock as they were; the service keeps answering throughout.
import { createHmac, createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { listOperations, loadApiDocument } from '../../src/http/api.js';
import { CANARY, until } from './support/harness.js';
import {
  databaseFingerprint,
  fingerprintChange,
  problemViolations,
  rawRequest,
  startStack,
  stockFingerprint,
  type LogLine,
  type Stack,
} from './support/fuzz-support.js';

const SHOPPER_A = 8101;
const SHOPPER_B = 8102;
const ADMIN = 1;
const address = { address: '9 Security Row', city: 'Springfield', postal_code: '62701', country: 'US' };
const document = loadApiDocument();

let stack: Stack;
let alice: string; // shopper A
let bob: string; // shopper B
let admin: string;
/** an order of shopper A, pending */
let aliceOrder: number;
/** an order of shopper B, pending */
let bobOrder: number;

type Answer = Awaited<ReturnType<Stack['transcript']['fetch']>> & { requestId: string };

/** One request with a correlation id (X-Request-ID) to find its log line by. */
async function call(
  method: string,
  path: string,
  options: { token?: string; authorization?: string; body?: unknown; text?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const requestId = `sec-${randomUUID()}`;
  const headers: Record<string, string> = { 'x-request-id': requestId, ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  let body: string | undefined;
  if (options.text !== undefined) body = options.text;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await stack.transcript.fetch(`${stack.url}${path}`, { method, headers, body, redirect: 'manual' });
  return { ...res, requestId };
}

function expectProblem(res: Answer, status: number): Record<string, unknown> {
  expect({ status: res.status, body: res.text.slice(0, 300) }).toEqual({ status, body: expect.any(String) });
  expect(problemViolations(res)).toEqual([]);
  return res.json();
}

/** The service's access log has a line for this request with this status (and the caller, when known). */
async function expectLogged(res: Answer, userId?: number): Promise<LogLine> {
  const line = await until<LogLine | undefined>(
    () => stack.logLines().find((l) => l.request_id === res.requestId && l.status === res.status),
    5000,
    `a log line for ${res.requestId} with status ${res.status}`,
    50,
  );
  if (userId !== undefined) expect(line!.user_id).toBe(userId);
  // refused credentials and roles are warnings, so they are on record at the default log level too
  if (res.status === 401 || res.status === 403) expect({ level: line!.level, message: line!.message }).toEqual({ level: 'warn', message: 'request refused' });
  return line!;
}

/** The warning the service writes when a caller asks for an order that is someone else's (a 404 to them). */
async function expectAccessRefused(res: Answer, userId: number, orderId: number): Promise<void> {
  const line = await until<LogLine | undefined>(
    () => stack.logLines().find((l) => l.request_id === res.requestId && l.message === 'access refused'),
    5000,
    `an 'access refused' warning for ${res.requestId}`,
    50,
  );
  expect({ level: line!.level, user_id: line!.user_id, order_id: line!.order_id, refusal: line!.refusal }).toEqual({ level: 'warn', user_id: userId, order_id: orderId, refusal: 'not_owner' });
}

/** Runs the attempts and checks that nothing was written: database rows and product stock. */
async function expectNothingWritten(attempts: () => Promise<void>): Promise<void> {
  const database = await databaseFingerprint(stack.db);
  const stock = stockFingerprint(stack.peers);
  await attempts();
  expect(fingerprintChange(database, await databaseFingerprint(stack.db))).toBe('');
  expect(stockFingerprint(stack.peers)).toBe(stock);
}

async function orderRow(id: number): Promise<Record<string, unknown>> {
  const [row] = await stack.db.query('SELECT o::text AS row FROM orders o WHERE id = $1', [id]);
  return row!;
}

async function placeOrder(token: string, product = 3): Promise<number> {
  const res = await call('POST', '/orders', { token, body: { items: [{ product_id: product, quantity: 1 }], shipping_address: address } });
  expect(res.status).toBe(201);
  return Number(res.json().id);
}

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.tokens.user(SHOPPER_A, 'alice@example.test');
  bob = await stack.tokens.user(SHOPPER_B, 'bob@example.test');
  admin = await stack.tokens.admin(ADMIN);
  aliceOrder = await placeOrder(alice);
  bobOrder = await placeOrder(bob);
}, 60_000);

afterAll(async () => {
  if (!stack) return;
  await stack.stop();
  const leaks = stack.transcript.leaks();
  expect(leaks.checkedChars).toBeGreaterThan(0);
  expect(leaks.found).toEqual([]);
}, 60_000);

// ---- JWT attacks -----------------------------------------------------------------------------

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const hmac = (algorithm: 'sha256' | 'sha384' | 'sha512', key: string | Buffer, input: string) => createHmac(algorithm, key).update(input).digest('base64url');

/** header.payload signed by `sign` (any header, any payload text, any key). */
function jwt(header: unknown, payload: unknown, sign: (input: string) => string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input)}`;
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({ sub: String(ADMIN), email: 'mallory@example.test', role: 'admin', iat: now(), exp: now() + 600, ...extra });
const HS256 = { alg: 'HS256', typ: 'JWT' };
/** signed with the service's real key: only the content is wrong */
const withRealKey = (payload: unknown, header: unknown = HS256) => jwt(header, payload, (input) => hmac('sha256', CANARY.secretKey, input));
const withoutClaim = (name: string) => {
  const c: Record<string, unknown> = claims();
  delete c[name];
  return c;
};

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const attacks: Array<[string, () => Promise<string>]> = [
  ['alg:none (jose)', async () => `Bearer ${await stack.tokens.bad.algNone()}`],
  ['alg:none, no signature', async () => `Bearer ${jwt({ alg: 'none', typ: 'JWT' }, claims(), () => '')}`],
  ['alg:None spelled otherwise', async () => `Bearer ${jwt({ alg: 'None' }, claims(), () => '')}`],
  ['alg:none with a valid HS256 signature of the real key', async () => `Bearer ${withRealKey(claims(), { alg: 'none' })}`],
  ['HS256 signed with the empty key', async () => `Bearer ${jwt(HS256, claims(), (i) => hmac('sha256', '', i))}`],
  ['HS256 with a kid pointing at an empty file, signed with the empty key', async () => `Bearer ${jwt({ ...HS256, kid: '../../../../dev/null' }, claims(), (i) => hmac('sha256', '', i))}`],
  ['HS256 signed with another key', async () => `Bearer ${await stack.tokens.bad.wrongKey()}`],
  ['RS256 signed with an RSA private key', async () => `Bearer ${await stack.tokens.bad.rs256()}`],
  [
    'RS256 header, RSA signature, public key embedded in the header (jwk)',
    async () =>
      `Bearer ${jwt({ alg: 'RS256', jwk: rsa.publicKey.export({ format: 'jwk' }) }, claims(), (i) => createSign('RSA-SHA256').update(i).sign(rsa.privateKey).toString('base64url'))}`,
  ],
  ['HS256 signed with an RSA public key PEM as the secret (RS/HS confusion)', async () => `Bearer ${jwt(HS256, claims(), (i) => hmac('sha256', publicPem, i))}`],
  ['RS256 header signed with HMAC of the public key PEM', async () => `Bearer ${jwt({ alg: 'RS256' }, claims(), (i) => hmac('sha256', publicPem, i))}`],
  ['HS512 with the real key', async () => `Bearer ${await stack.tokens.bad.hs512()}`],
  ['HS384 with the real key', async () => `Bearer ${jwt({ alg: 'HS384' }, claims(), (i) => hmac('sha384', CANARY.secretKey, i))}`],
  ['expired', async () => `Bearer ${await stack.tokens.bad.expired()}`],
  ['expired (real key, admin claims)', async () => `Bearer ${withRealKey(claims({ iat: now() - 7200, exp: now() - 3600 }))}`],
  ['not yet valid (nbf in the future)', async () => `Bearer ${await stack.tokens.bad.notYetValid()}`],
  ['not yet valid (real key, admin claims)', async () => `Bearer ${withRealKey(claims({ nbf: now() + 3600 }))}`],
  ['exp as a string', async () => `Bearer ${withRealKey(claims({ exp: String(now() + 600) }))}`],
  ['missing sub', async () => `Bearer ${withRealKey(withoutClaim('sub'))}`],
  ['non-numeric sub', async () => `Bearer ${await stack.tokens.bad.nonNumericSub()}`],
  ['sub as a number, not a string', async () => `Bearer ${withRealKey(claims({ sub: ADMIN }))}`],
  ['sub 0', async () => `Bearer ${withRealKey(claims({ sub: '0' }))}`],
  ['sub negative', async () => `Bearer ${withRealKey(claims({ sub: '-1' }))}`],
  ['sub beyond a safe integer', async () => `Bearer ${withRealKey(claims({ sub: '99999999999999999999' }))}`],
  ['sub with SQL', async () => `Bearer ${withRealKey(claims({ sub: "1 OR 1=1" }))}`],
  ['role as an array', async () => `Bearer ${withRealKey(claims({ role: ['admin'] }))}`],
  ['role as an object', async () => `Bearer ${withRealKey(claims({ role: { admin: true } }))}`],
  ['role as a number', async () => `Bearer ${withRealKey(claims({ role: 1 }))}`],
  ['role true', async () => `Bearer ${withRealKey(claims({ role: true }))}`],
  ['role null', async () => `Bearer ${withRealKey(claims({ role: null }))}`],
  ['missing role', async () => `Bearer ${withRealKey(withoutClaim('role'))}`],
  ['unknown role', async () => `Bearer ${withRealKey(claims({ role: 'superuser' }))}`],
  ['role ADMIN in capitals', async () => `Bearer ${withRealKey(claims({ role: 'ADMIN' }))}`],
  ['role with a trailing space', async () => `Bearer ${withRealKey(claims({ role: 'admin ' }))}`],
  ['missing email', async () => `Bearer ${withRealKey(withoutClaim('email'))}`],
  ['valid signature over a truncated JSON payload', async () => `Bearer ${withRealKey('{"sub":"1","email":"m@example.test","role":"admin"')}`],
  ['valid signature over a payload that is not JSON', async () => `Bearer ${withRealKey('\u0000\u00ff garbage')}`],
  ['valid signature over a JSON array payload', async () => `Bearer ${withRealKey('[1,"admin"]')}`],
  ['valid signature over a JSON string payload', async () => `Bearer ${withRealKey('"admin"')}`],
  ['valid signature over a garbled header', async () => `Bearer ${withRealKey(claims(), '{"alg":"HS256"')}`],
  ['a valid admin token with its signature truncated', async () => `Bearer ${(await stack.tokens.admin()).slice(0, -10)}`],
  [
    'an admin payload spliced onto a shopper token’s signature',
    async () => {
      const [h, p] = (await stack.tokens.admin()).split('.');
      const signature = (await stack.tokens.user(SHOPPER_B)).split('.')[2];
      return `Bearer ${h}.${p}.${signature}`;
    },
  ],
  ['a valid admin token with its payload cut short', async () => {
    const [h, p, s] = (await stack.tokens.admin()).split('.');
    return `Bearer ${h}.${p!.slice(0, -6)}.${s}`;
  }],
  ['two segments only', async () => `Bearer ${(await stack.tokens.admin()).split('.').slice(0, 2).join('.')}`],
  ['Authorization: Basic', async () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
  ['Bearer with no token', async () => 'Bearer'],
  ['Bearer with a space-separated second token', async () => `Bearer ${await stack.tokens.user(SHOPPER_A)} ${await stack.tokens.admin()}`],
  ['a token without the Bearer scheme', async () => await stack.tokens.admin()],
];

describe('JWT attacks: 401 problem+json on a shopper route and an admin route, logged, nothing written', () => {
  test.each(attacks)('%s', async (_name, make) => {
    const authorization = await make();
    await expectNothingWritten(async () => {
      for (const [method, path] of [
        ['GET', '/orders'],
        ['GET', '/admin/orders'],
        ['DELETE', `/orders/${aliceOrder}`],
        ['PUT', `/admin/orders/${aliceOrder}/status`],
      ] as const) {
        const res = await call(method, path, { authorization, ...(method === 'PUT' ? { body: { status: 'confirmed' } } : {}) });
        const body = expectProblem(res, 401);
        expect(body.type).toEqual(expect.stringContaining('unauthorized'));
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="orders"/);
        const line = await expectLogged(res);
        expect(line.user_id).toBeUndefined();
      }
    });
  });

  test('the same requests with a genuine token do get through (the attacks failed on their flaw, not on the route)', async () => {
    expect((await call('GET', '/orders', { token: alice })).status).toBe(200);
    expect((await call('GET', '/admin/orders', { token: admin })).status).toBe(200);
  });
});

// ---- access control --------------------------------------------------------------------------

describe("one shopper and another's order", () => {
  test("reading another shopper's order is 404, exactly like an id that does not exist, and is logged", async () => {
    for (const prefix of ['/orders', '']) {
      const theirs = await call('GET', `${prefix}/${aliceOrder}`, { token: bob });
      const nobodys = await call('GET', `${prefix}/987654321`, { token: bob });
      const a = expectProblem(theirs, 404);
      const b = expectProblem(nobodys, 404);
      expect({ type: a.type, title: a.title, detail: a.detail }).toEqual({ type: b.type, title: b.title, detail: b.detail });
      expect(theirs.text).not.toContain('alice');
      await expectLogged(theirs, SHOPPER_B);
      await expectAccessRefused(theirs, SHOPPER_B, aliceOrder);
      await expectLogged(nobodys, SHOPPER_B);
      expect(stack.logLines().filter((l) => l.request_id === nobodys.requestId && l.message === 'access refused')).toEqual([]);
    }
    // the owner does see it
    expect((await call('GET', `/orders/${aliceOrder}`, { token: alice })).status).toBe(200);
  });

  test("cancelling another shopper's order (DELETE) is 404 and the order is unchanged", async () => {
    const before = await orderRow(aliceOrder);
    await expectNothingWritten(async () => {
      for (const prefix of ['/orders', '']) {
        for (const headers of [{}, { 'if-match': '*' }, { 'if-match': '"1"' }] as Array<Record<string, string>>) {
          const res = await call('DELETE', `${prefix}/${aliceOrder}`, { token: bob, headers });
          expectProblem(res, 404);
          await expectLogged(res, SHOPPER_B);
          await expectAccessRefused(res, SHOPPER_B, aliceOrder);
        }
      }
    });
    expect(await orderRow(aliceOrder)).toEqual(before);
    const mine = await call('GET', `/orders/${aliceOrder}`, { token: alice });
    expect(mine.json()).toMatchObject({ status: 'pending', version: 1 });
  });

  test("updating another shopper's order (PUT, an admin operation in the document) is 403 whatever the id, so nothing can be probed; unchanged", async () => {
    // read the document: PUT /orders/{order_id} is x-required-role admin, so a shopper is refused
    // before the order is looked up; the answer is the same for their own, another's and no order
    const put = listOperations(document).find((o) => o.operationId === 'updateOrder')!;
    expect(put.requiredRole).toBe('admin');
    const before = await orderRow(aliceOrder);
    await expectNothingWritten(async () => {
      const answers: Array<Record<string, unknown>> = [];
      for (const prefix of ['/orders', '']) {
        for (const id of [aliceOrder, bobOrder, 987654321]) {
          const res = await call('PUT', `${prefix}/${id}`, { token: bob, body: { status: 'cancelled', notes: 'mine now', payment_status: 'refunded' } });
          const body = expectProblem(res, 403);
          answers.push({ type: body.type, detail: body.detail });
          await expectLogged(res, SHOPPER_B);
        }
      }
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    });
    expect(await orderRow(aliceOrder)).toEqual(before);
  });

  const adminOperations = listOperations(document).filter((o) => o.requiredRole === 'admin');

  test('the document has admin operations to check', () => {
    expect(adminOperations.length).toBeGreaterThanOrEqual(7);
  });

  test.each(adminOperations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    'a shopper on %s gets 403 (logged, nothing written), on their own order too',
    async (_name, op) => {
      await expectNothingWritten(async () => {
        for (const [token, userId, id] of [[bob, SHOPPER_B, aliceOrder], [alice, SHOPPER_A, aliceOrder]] as const) {
          const path = op.path.replace('{order_id}', String(id));
          const body = ['put', 'post', 'patch'].includes(op.method) ? { status: 'confirmed' } : undefined;
          const res = await call(op.method.toUpperCase(), path, { token, body });
          expect(expectProblem(res, 403).type).toEqual(expect.stringContaining('forbidden'));
          await expectLogged(res, userId);
        }
      });
    },
  );
});

// ---- mass assignment ---------------------------------------------------------------------------

describe('mass assignment on POST /orders', () => {
  const createSchema = (document.components!.schemas as Record<string, { properties: Record<string, unknown> }>).CreateOrderRequest!;
  const itemSchema = (document.components!.schemas as Record<string, { properties: Record<string, unknown> }>).OrderItemInput!;
  const valid = () => ({ items: [{ product_id: 3, quantity: 1 }], shipping_address: address });
  const forbidden: Array<[string, unknown]> = [
    ['user_id', SHOPPER_A],
    ['status', 'delivered'],
    ['total_amount', 0.01],
    ['subtotal', 0],
    ['discount_amount', 999],
    ['order_number', 'ORD-20240101-AAAAAAAA'],
    ['payment_status', 'paid'],
    ['id', 1],
    ['version', 99],
    ['created_at', '2000-01-01T00:00:00Z'],
  ];

  test('the document lets a shopper set none of these fields', () => {
    for (const [field] of forbidden) expect(Object.keys(createSchema.properties)).not.toContain(field);
    for (const field of ['price', 'unit_price', 'total_price']) expect(Object.keys(itemSchema.properties)).not.toContain(field);
  });

  test.each(forbidden)('%s is rejected with 400 naming the field, and nothing is written', async (field, value) => {
    await expectNothingWritten(async () => {
      for (const path of ['/orders', '/']) {
        const res = await call('POST', path, { token: bob, body: { ...valid(), [field]: value } });
        expect(expectProblem(res, 400).errors).toContainEqual({ field, message: 'is not an allowed field' });
      }
    });
  });

  test('all of them at once, and prices inside the items, are rejected; nothing is written', async () => {
    await expectNothingWritten(async () => {
      const all = await call('POST', '/orders', { token: bob, body: { ...valid(), ...Object.fromEntries(forbidden) } });
      const fields = (expectProblem(all, 400).errors as Array<{ field: string }>).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(forbidden.map(([f]) => f)));
      for (const extra of [{ price: 0.01 }, { unit_price: 0 }, { total_price: 0 }, { product_name: 'free' }]) {
        const res = await call('POST', '/orders', { token: bob, body: { ...valid(), items: [{ product_id: 1, quantity: 1, ...extra }] } });
        expect(expectProblem(res, 400).errors).toContainEqual({ field: `items[0].${Object.keys(extra)[0]}`, message: 'is not an allowed field' });
      }
      const nested = await call('POST', '/orders', { token: bob, body: { ...valid(), shipping_address: { ...address, user_id: SHOPPER_A } } });
      expect(expectProblem(nested, 400).errors).toContainEqual({ field: 'shipping_address.user_id', message: 'is not an allowed field' });
    });
  });

  test('customer_email is accepted by design (storefront) but the stored order keeps the token’s email and owner', async () => {
    expect(Object.keys(createSchema.properties)).toContain('customer_email');
    const res = await call('POST', '/orders', { token: bob, body: { ...valid(), customer_email: 'mallory@evil.test' } });
    expect(res.status).toBe(201);
    const id = Number(res.json().id);
    expect(res.json()).toMatchObject({ user_id: SHOPPER_B, customer_email: 'bob@example.test', status: 'pending', payment_status: 'pending' });
    const [row] = await stack.db.query('SELECT user_id::int AS user_id, customer_email, status, payment_status FROM orders WHERE id = $1', [id]);
    expect(row).toEqual({ user_id: SHOPPER_B, customer_email: 'bob@example.test', status: 'pending', payment_status: 'pending' });
  });
});

// ---- hostile bodies --------------------------------------------------------------------------

describe('oversized, deeply nested and wrongly typed bodies', () => {
  test('a body over 100 kB is 413, whether announced by Content-Length or streamed in chunks; nothing is written', async () => {
    await expectNothingWritten(async () => {
      for (const kilobytes of [101, 1024]) {
        const res = await call('POST', '/orders', { token: bob, body: { ...{ items: [{ product_id: 3, quantity: 1 }], shipping_address: address }, notes: 'x'.repeat(kilobytes * 1024) } });
        expectProblem(res, 413);
        await expectLogged(res, undefined);
      }
      const chunk = `${'x'.repeat(16 * 1024)}`;
      const body = `{"notes":"${chunk.repeat(20)}"}`;
      const chunked = body.match(/[\s\S]{1,8192}/g)!.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
      const raw = await rawRequest(
        stack.url,
        `POST /orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bob}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`,
        stack.transcript,
      );
      expect(raw.status).toBe(413);
      expect(raw.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  test('deeply nested JSON (10 000 and 45 000 levels) is 400, quickly, and the process stays up', async () => {
    const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    await expectNothingWritten(async () => {
      for (const text of [
        deepArray(10_000),
        deepObject(10_000),
        `{"items":[{"product_id":1,"quantity":1}],"shipping_address":${deepObject(10_000)}}`,
        `{"items":[{"product_id":1,"quantity":1}],"shipping_address":${JSON.stringify(address)},"notes":${deepArray(10_000)}}`,
        `{"items":${deepArray(10_000)},"shipping_address":${JSON.stringify(address)}}`,
        deepArray(45_000),
      ]) {
        const started = Date.now();
        const res = await call('POST', '/orders', { token: bob, text });
        expectProblem(res, 400);
        expect(Date.now() - started).toBeLessThan(5000);
      }
      const admin10k = await call('PUT', `/admin/orders/${aliceOrder}/status`, { token: admin, text: `{"status":"confirmed","reason":${deepArray(10_000)}}` });
      expectProblem(admin10k, 400);
    });
    expect(stack.service.child.exitCode).toBeNull();
    expect((await call('GET', '/health')).status).toBe(200);
  });

  test('a body whose Content-Encoding lies is 400 (not 500), a compression bomb is 413, nothing is written; a genuine gzip body works', async () => {
    const order = JSON.stringify({ items: [{ product_id: 3, quantity: 1 }], shipping_address: address });
    await expectNothingWritten(async () => {
      for (const [encoding, bytes] of [
        ['gzip', Buffer.from(order)],
        ['deflate', Buffer.from(order)],
        ['br', Buffer.from(order)],
        ['gzip', gzipSync(order).subarray(0, 20)], // cut short
        ['deflate', gzipSync(order)], // the wrong algorithm
      ] as Array<[string, Buffer]>) {
        for (const token of [bob, undefined]) {
          const res = await stack.transcript.fetch(`${stack.url}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-encoding': encoding, ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: bytes,
          });
          expect({ encoding, status: res.status }).toEqual({ encoding, status: 400 });
          expect(problemViolations(res)).toEqual([]);
        }
      }
      for (const [encoding, bomb] of [
        ['gzip', gzipSync(Buffer.alloc(10 * 1024 * 1024, ' '))],
        ['deflate', deflateSync(Buffer.alloc(10 * 1024 * 1024, ' '))],
        ['br', brotliCompressSync(Buffer.alloc(10 * 1024 * 1024, ' '))],
      ] as Array<[string, Buffer]>) {
        expect(bomb.length).toBeLessThan(100 * 1024);
        const res = await stack.transcript.fetch(`${stack.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding, authorization: `Bearer ${bob}` },
          body: bomb,
        });
        expect({ encoding, status: res.status }).toEqual({ encoding, status: 413 });
        expect(problemViolations(res)).toEqual([]);
      }
    });
    const genuine = await stack.transcript.fetch(`${stack.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${bob}` },
      body: gzipSync(order),
    });
    expect(genuine.status).toBe(201);
    expect(stack.service.output()).not.toMatch(/"level":"error"/);
  });

  const wrongTypes: Array<[string, string, unknown]> = [
    ['POST', '/orders', { items: 'abc', shipping_address: address }],
    ['POST', '/orders', { items: [{ product_id: '1', quantity: 1 }], shipping_address: address }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: 1.5 }], shipping_address: address }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: '2' }], shipping_address: address }],
    ['POST', '/orders', { items: [{ product_id: -1, quantity: 1 }], shipping_address: address }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: 1001 }], shipping_address: address }],
    ['POST', '/orders', { items: [{ product_id: 2 ** 53, quantity: 1 }], shipping_address: address }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: 1 }], shipping_address: 'Main St' }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: 1 }], shipping_address: [address] }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: 1 }], shipping_address: address, notes: 123 }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: 1 }], shipping_address: address, customer_email: 5 }],
    ['POST', '/orders', { items: [{ product_id: 1, quantity: 1 }], shipping_address: address, billing_address: 'same' }],
    ['POST', '/orders', [{ items: [{ product_id: 1, quantity: 1 }], shipping_address: address }]],
    ['POST', '/orders', null],
    ['POST', '/orders', 42],
    ['PUT', '/admin/orders/{a}/status', { status: 5 }],
    ['PUT', '/admin/orders/{a}/status', { status: ['shipped'] }],
    ['PUT', '/admin/orders/{a}/status', { status: 'shipped', tracking_number: 7 }],
    ['PUT', '/orders/{a}', { tracking_number: 7 }],
    ['PUT', '/orders/{a}', { payment_status: true }],
    ['PUT', '/orders/{a}', {}],
  ];

  test.each(wrongTypes)('%s %s with %j is 400 and writes nothing', async (method, path, body) => {
    await expectNothingWritten(async () => {
      const res = await call(method, path.replace('{a}', String(aliceOrder)), { token: method === 'PUT' ? admin : bob, text: JSON.stringify(body) });
      expectProblem(res, 400);
    });
  });
});

// ---- header and query injection --------------------------------------------------------------

const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

describe('header injection (raw socket, since fetch refuses CR/LF)', () => {
  const send = (lines: string[]) => rawRequest(stack.url, `${lines.join('\r\n')}\r\n\r\n`, stack.transcript);

  test('CR/LF inside X-Request-ID and Idempotency-Key never splits the response, never a 5xx, nothing written', async () => {
    await expectNothingWritten(async () => {
      const injections = [
        ['X-Request-ID: abc\rSet-Cookie: pwned=1'],
        ['X-Request-ID: abc\nSet-Cookie: pwned=1'],
        ['X-Request-ID: abc', ' Set-Cookie: pwned=1'], // obs-fold continuation line
        ['X-Request-ID: abc\r\n\r\nGET /admin/orders HTTP/1.1', 'Host: x'], // a second request smuggled behind the first
        ['Idempotency-Key: k\rSet-Cookie: pwned=1'],
        ['Idempotency-Key: k\nX-Request-ID: injected'],
        ['X-Request-ID: abc\u0000def'],
        ['Content-Length: 5', 'Transfer-Encoding: chunked'], // both framings at once (CL.TE smuggling)
      ];
      for (const injected of injections) {
        const res = await send(['GET /orders HTTP/1.1', 'Host: x', `Authorization: Bearer ${bob}`, ...injected, 'Connection: close']);
        expect(res.status).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.raw.toLowerCase()).not.toContain('set-cookie');
        expect(res.raw).not.toContain('pwned');
        const echoed = res.headers['x-request-id'];
        if (echoed !== undefined) expect(echoed).toMatch(SANE_REQUEST_ID);
        // a request smuggled behind the first is a request of its own: without a token, 401
        if (injected[0]!.includes('GET /admin/orders')) expect(res.raw).toMatch(/^HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 401 /);
        else {
          // Node's parser refuses bare CR, bare LF, obs-fold and NUL before the app; still a problem
          expect(res.status).toBe(400);
          expect(res.headers['content-type']).toBe('application/problem+json');
          expect(JSON.parse(res.body)).toMatchObject({ status: 400, type: expect.stringContaining('/malformed-request') });
        }
      }
      // a key with CR/LF on a write that would otherwise succeed
      const body = JSON.stringify({ items: [{ product_id: 3, quantity: 1 }], shipping_address: address });
      for (const header of ['Idempotency-Key: k1\rSet-Cookie: pwned=1', 'X-Request-ID: a\rb']) {
        const head = ['POST /orders HTTP/1.1', 'Host: x', `Authorization: Bearer ${bob}`, header, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
        const res = await rawRequest(stack.url, `${head.join('\r\n')}\r\n\r\n${body}`, stack.transcript);
        // Node's parser refuses a bare CR before the body is ever read: a 400 with no order
        expect(res.status).toBe(400);
      }
    });
    expect((await call('GET', '/health')).status).toBe(200);
  });

  test('an encoded CR/LF or an over-long X-Request-ID is not echoed (a fresh id is minted) and never reaches the log as given', async () => {
    for (const value of ['abc%0d%0aSet-Cookie:%20pwned=1', 'a'.repeat(129), 'x'.repeat(8000), '../../etc/passwd', "' OR '1'='1"]) {
      const res = await stack.transcript.fetch(`${stack.url}/health`, { headers: { 'x-request-id': value } });
      expect(res.status).toBe(200);
      const echoed = res.headers.get('x-request-id')!;
      expect(echoed).not.toBe(value);
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    }
    const tooBig = await send(['GET /health HTTP/1.1', 'Host: x', `X-Request-ID: ${'y'.repeat(20_000)}`, 'Connection: close']);
    expect(tooBig.status).toBe(431); // Node's own header limit, before the app: still a problem
    expect(tooBig.headers['content-type']).toBe('application/problem+json');
    expect((await call('GET', '/health')).status).toBe(200);
  });

  test('Idempotency-Key: too long is 400; SQL-ish is stored as plain text and replays; nothing else written', async () => {
    const body = { items: [{ product_id: 3, quantity: 1 }], shipping_address: address };
    await expectNothingWritten(async () => {
      const long = await call('POST', '/orders', { token: bob, body, headers: { 'idempotency-key': 'k'.repeat(256) } });
      expect(expectProblem(long, 400).errors).toEqual([expect.objectContaining({ field: 'header idempotency-key' })]);
      const huge = await send(['POST /orders HTTP/1.1', 'Host: x', `Authorization: Bearer ${bob}`, `Idempotency-Key: ${'k'.repeat(20_000)}`, 'Content-Length: 0', 'Connection: close']);
      expect(huge.status).toBe(431);
    });
    const key = `'; DROP TABLE idempotency_keys; -- ${'%0d%0a'.repeat(10)} ${'é'.length}`;
    const first = await call('POST', '/orders', { token: bob, body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    const replay = await call('POST', '/orders', { token: bob, body, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.json().id).toBe(first.json().id);
    const rows = await stack.db.query('SELECT key, order_id::int AS order_id FROM idempotency_keys WHERE user_id = $1 AND key = $2', [SHOPPER_B, key]);
    expect(rows).toEqual([{ key, order_id: first.json().id }]);
  });

  test('every log line carries a sane request id, whatever was sent', () => {
    const ids = stack.logLines().map((l) => l.request_id).filter((id): id is string => id !== undefined);
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(id).toMatch(SANE_REQUEST_ID);
    expect(stack.service.output()).not.toContain('pwned');
  });
});

describe('query injection and prototype pollution', () => {
  test.each([
    ['/orders?status=pending%27%20OR%20%271%27%3D%271', 'shopper'],
    ["/orders?status=pending' OR '1'='1", 'shopper'],
    ['/orders?page=1;DROP TABLE orders', 'shopper'],
    ['/orders?page=1%3BDROP%20TABLE%20orders', 'shopper'],
    ['/orders?status=a&status=b', 'shopper'],
    ['/orders?status=pending&status=pending', 'shopper'],
    ['/orders?size=1e2', 'shopper'],
    ['/orders?page[]=1', 'shopper'],
    ['/orders?__proto__[role]=admin', 'shopper'],
    ['/orders?constructor[prototype][role]=admin', 'shopper'],
    ['/orders?__proto__=admin', 'shopper'],
    ['/orders?constructor=x&prototype=y', 'shopper'],
    ['/?status=a&status=b', 'shopper'],
    ['/admin/orders?user_id=1 OR 1=1', 'admin'],
    ['/admin/orders?user_id=1&user_id=2', 'admin'],
    ["/admin/orders?from=2024-01-01'; DROP TABLE orders;--", 'admin'],
    ['/admin/orders?status[$ne]=cancelled', 'admin'],
    ['/admin/orders/stats?from=2024-01-01&from=2024-02-01', 'admin'],
    ['/admin/orders/stats?to=9999-99-99', 'admin'],
  ])('GET %s (%s) is never a 5xx, changes nothing, and a refusal is a problem', async (path, who) => {
    await expectNothingWritten(async () => {
      const res = await call('GET', path, { token: who === 'admin' ? admin : bob });
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) expect(problemViolations(res)).toEqual([]);
      else {
        // accepted: then it was read as a plain value, and a shopper still sees only their own orders
        for (const order of res.json<Array<{ user_id: number }>>()) if (who === 'shopper') expect(order.user_id).toBe(SHOPPER_B);
      }
    });
  });

  test('prototype-pollution keys in bodies are rejected and leave no trace', async () => {
    const valid = `"items":[{"product_id":3,"quantity":1}],"shipping_address":${JSON.stringify(address)}`;
    await expectNothingWritten(async () => {
      for (const text of [
        `{"__proto__":{"role":"admin","user_id":${SHOPPER_A}},${valid}}`,
        `{"constructor":{"prototype":{"role":"admin"}},${valid}}`,
        `{"items":[{"product_id":3,"quantity":1,"__proto__":{"price":0}}],"shipping_address":${JSON.stringify(address)}}`,
        `{${valid},"shipping_address":{"__proto__":{"country":"XX"},"address":"a","city":"b","postal_code":"c","country":"US"}}`,
      ]) {
        expectProblem(await call('POST', '/orders', { token: bob, text }), 400);
      }
      expectProblem(await call('PUT', `/admin/orders/${aliceOrder}/status`, { token: admin, text: '{"status":"confirmed","__proto__":{"status":"refunded"}}' }), 400);
      expectProblem(await call('PUT', `/orders/${aliceOrder}`, { token: admin, text: '{"constructor":{"prototype":{"payment_status":"paid"}}}' }), 400);
    });
    // nothing leaked into shared prototypes: a shopper is still a shopper, and sees only their own orders
    expectProblem(await call('GET', '/admin/orders', { token: bob }), 403);
    const mine = await call('GET', '/orders', { token: bob });
    expect(mine.status).toBe(200);
    for (const order of mine.json<Array<{ user_id: number; payment_status: string }>>()) expect(order).toMatchObject({ user_id: SHOPPER_B, payment_status: 'pending' });
    const fresh = await call('POST', '/orders', { token: bob, body: { items: [{ product_id: 3, quantity: 1 }], shipping_address: address } });
    expect(fresh.status).toBe(201);
    expect(fresh.json()).toMatchObject({ user_id: SHOPPER_B, status: 'pending', payment_status: 'pending', shipping_country: 'US' });
    expect(fresh.json<{ order_items: Array<{ unit_price: string }> }>().order_items[0]!.unit_price).toBe('0.29');
  });

  test('the tables are all still there and the service still answers', async () => {
    await expect(databaseFingerprint(stack.db)).resolves.toEqual(expect.objectContaining({ orders: expect.any(String) }));
    expect(stack.service.child.exitCode).toBeNull();
    expect((await call('GET', `/orders/${aliceOrder}`, { token: alice })).status).toBe(200);
  });
});

// ---- CORS in production ------------------------------------------------------------------------

describe('CORS with ENVIRONMENT=production and one listed origin', () => {
  const LISTED = 'https://shop.example';
  let prodUrl: string;

  beforeAll(async () => {
    // CONTRACTS.md §1: ENVIRONMENT and CORS_ORIGINS; a second instance on the same database
    const prod = await stack.spawnAnother({ ENVIRONMENT: 'production', CORS_ORIGINS: LISTED }, 'production service');
    prodUrl = prod.url;
  }, 30_000);

  const preflight = (origin: string) =>
    stack.transcript.fetch(`${prodUrl}/orders`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  test('an unlisted origin gets no Access-Control-Allow-Origin, on a preflight or a simple GET', async () => {
    for (const origin of [
      'https://evil.example',
      'https://shop.example.evil.example',
      'https://evilshop.example',
      'http://shop.example',
      'https://shop.example:8443',
      'null',
      'http://localhost:3000',
      'http://127.0.0.1:1',
    ]) {
      const pre = await preflight(origin);
      expect(pre.status).toBeLessThan(500);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const simple = await stack.transcript.fetch(`${prodUrl}/health`, { headers: { origin } });
      expect(simple.status).toBe(200);
      expect(simple.headers.get('access-control-allow-origin')).toBeNull();
      const withToken = await stack.transcript.fetch(`${prodUrl}/orders`, { headers: { origin, authorization: `Bearer ${bob}` } });
      expect(withToken.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  test('the listed origin gets it, with credentials, on a preflight and a simple GET', async () => {
    const pre = await preflight(LISTED);
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const simple = await stack.transcript.fetch(`${prodUrl}/health`, { headers: { origin: LISTED } });
    expect(simple.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(simple.headers.get('vary')?.toLowerCase()).toContain('origin');
  });
});
