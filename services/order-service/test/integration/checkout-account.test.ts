// Blocked accounts cannot buy: before a checkout the service asks the user service stand-in
// (GET /auth/me with the shopper's own token, CONTRACTS.md §4) over real sockets. A blocked,
// suspended or unverified account is a 403 with nothing written; reads never ask; answers are
// cached per token for ACCOUNT_CHECK_CACHE_SECONDS; a user service that cannot answer is
// ACCOUNT_CHECK_WHEN_UNAVAILABLE's call, counted and logged.
import { startTestService, type TestService } from '../support/service.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Json = any;

const address = { address: '742 Evergreen Terrace', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' };
const CACHE_SECONDS = 2;

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ env: { ACCOUNT_CHECK_CACHE_SECONDS: String(CACHE_SECONDS) } });
});
afterAll(async () => {
  await svc?.stop();
});
afterEach(() => {
  svc.peers.user.setFaults({});
});

async function call(service: TestService, method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

const checkout = (token: string, opts: { path?: string; key?: string; service?: TestService } = {}) =>
  call(
    opts.service ?? svc,
    'POST',
    opts.path ?? '/orders',
    token,
    { items: [{ product_id: 7, quantity: 1 }], shipping_address: address },
    opts.key ? { 'idempotency-key': opts.key } : {},
  );

/** Polls until check() holds (every everyMs), failing with the message after timeoutMs. */
async function until(check: () => Promise<boolean>, timeoutMs: number, message: string, everyMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const authMeCalls = (service: TestService = svc) => service.peers.user.requests.get('GET /auth/me') ?? 0;
const ordersOf = async (token: string, service: TestService = svc) => Number((await call(service, 'GET', '/orders', token)).res.headers.get('x-total-count'));
const metricsText = async (service: TestService = svc) => (await fetch(`${service.url}/metrics`)).text();

describe('a blocked shopper', () => {
  test('is refused at checkout with a 403 account-blocked problem, nothing written, and can still read their orders', async () => {
    const user = 9401;
    const before = await svc.tokens.user(user);
    const placed = await checkout(before);
    expect(placed.status).toBe(201);

    svc.peers.user.block(user, 'chargebacks');
    // a token issued after the block is as valid as ever (blocking revokes nothing); the account is what is refused
    const token = await svc.tokens.user(user);
    const stock = svc.peers.product.stockOf(7);
    const peerCalls = [svc.peers.product.totalRequests(), svc.peers.cart.totalRequests()];
    for (const path of ['/orders', '/']) {
      const refused = await checkout(token, { path });
      expect(refused.status).toBe(403);
      expect(refused.res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        type: 'https://orders.ecommerce.dev/problems/account-blocked',
        status: 403,
        detail: expect.stringMatching(/blocked/),
      });
      expect(JSON.stringify(refused.body)).not.toContain('chargebacks');
      expect(svc.validateResponse(path === '/' ? 'storefrontCreateOrder' : 'createOrder', 403, refused.body)).toEqual([]);
    }
    expect(await ordersOf(token)).toBe(1); // only the order from before the block
    expect(svc.peers.product.stockOf(7)).toBe(stock);
    expect([svc.peers.product.totalRequests(), svc.peers.cart.totalRequests()]).toEqual(peerCalls);

    // reads need no call: their list, their order, the storefront's list
    const asked = authMeCalls();
    expect((await call(svc, 'GET', '/orders', token)).status).toBe(200);
    expect((await call(svc, 'GET', `/orders/${placed.body.id}`, token)).status).toBe(200);
    expect((await call(svc, 'GET', '/?page=1&size=10', token)).body).toHaveLength(1);
    expect(authMeCalls()).toBe(asked);
  });

  test('a refused checkout frees its Idempotency-Key: once unblocked the same key and body create the order', async () => {
    const user = 9402;
    svc.peers.user.block(user);
    const key = `blocked-${Date.now()}`;
    expect((await checkout(await svc.tokens.user(user), { key })).status).toBe(403);
    svc.peers.user.setStatus(user, 'active');
    const retried = await checkout(await svc.tokens.user(user), { key }); // a fresh token: no cached answer
    expect(retried.status).toBe(201);
    expect(retried.res.headers.get('idempotent-replayed')).toBeNull();
  });

  test('a suspended or unverified account is refused too, with its status; a removed one is 401', async () => {
    for (const [user, status] of [[9403, 'suspended'], [9404, 'pending_verification']] as const) {
      svc.peers.user.setStatus(user, status);
      const token = await svc.tokens.user(user);
      const refused = await checkout(token);
      expect(refused.status).toBe(403);
      expect(refused.body.type).toBe('https://orders.ecommerce.dev/problems/account-blocked');
      // the user service's 403 does not say which; a 200 with another status does
      if (status === 'pending_verification') expect(refused.body).toMatchObject({ account_status: 'pending_verification', detail: expect.stringMatching(/pending verification/) });
      expect(await ordersOf(token)).toBe(0);
    }
    const gone = 9405;
    svc.peers.user.removeUser(gone);
    const token = await svc.tokens.user(gone);
    const refused = await checkout(token);
    expect(refused.status).toBe(401);
    expect(refused.res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await ordersOf(token)).toBe(0);
  });
});

describe('the answer is cached per token', () => {
  test('a second checkout within the TTL asks no second time', async () => {
    const token = await svc.tokens.user(9411);
    const asked = authMeCalls();
    expect((await checkout(token)).status).toBe(201);
    expect(authMeCalls()).toBe(asked + 1);
    expect((await checkout(token)).status).toBe(201);
    expect(authMeCalls()).toBe(asked + 1);
    // another token of the same shopper is another key
    expect((await checkout(await svc.tokens.user(9411))).status).toBe(201);
    expect(authMeCalls()).toBe(asked + 2);
  });

  test('after unblocking, the cached refusal stands until the TTL passes, then the checkout goes through', async () => {
    const user = 9412;
    svc.peers.user.block(user);
    const token = await svc.tokens.user(user);
    const asked = authMeCalls();
    const refusedAt = Date.now();
    expect((await checkout(token)).status).toBe(403);
    svc.peers.user.setStatus(user, 'active');
    expect((await checkout(token)).status).toBe(403); // still the cached answer
    expect(authMeCalls()).toBe(asked + 1);
    // refused attempts write nothing, so retrying until one goes through places exactly one order
    await until(async () => (await checkout(token)).status === 201, CACHE_SECONDS * 1000 + 3000, 'the checkout allowed once the cached refusal expired', 200);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(CACHE_SECONDS * 1000 - 50);
    expect(authMeCalls()).toBe(asked + 2);
    expect(await ordersOf(token)).toBe(1);
  });
});

describe('when the user service cannot answer', () => {
  test('by default the checkout is allowed, counted and logged (never the token)', async () => {
    svc.peers.user.setFaults({ status500: true });
    const token = await svc.tokens.user(9421);
    expect((await checkout(token)).status).toBe(201);
    svc.peers.user.setFaults({ reset: true });
    expect((await checkout(await svc.tokens.user(9421))).status).toBe(201);
    expect(await metricsText()).toMatch(/orders_account_check_unavailable_total\{decision="allowed"\} 2/);
    const warnings = svc.logText().split('\n').filter((l) => l.includes('account check unavailable'));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ dependency: 'user-service', user_id: 9421, decision: 'allowed' });
    expect(svc.logText()).not.toContain(token);
  });

  test('with ACCOUNT_CHECK_WHEN_UNAVAILABLE=refuse a user service that times out is a 503 and nothing is written', async () => {
    const strict = await startTestService({ env: { ACCOUNT_CHECK_WHEN_UNAVAILABLE: 'refuse', PEER_TIMEOUT_MS: '300' } });
    try {
      strict.peers.user.setFaults({ hang: true });
      const token = await strict.tokens.user(9431);
      const key = `strict-${Date.now()}`;
      const refused = await checkout(token, { service: strict, key });
      expect(refused.status).toBe(503);
      expect(refused.res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.body).toMatchObject({ type: 'https://orders.ecommerce.dev/problems/dependency-unavailable', dependency: 'user-service' });
      expect(await metricsText(strict)).toMatch(/orders_account_check_unavailable_total\{decision="refused"\} 1/);
      strict.peers.user.setFaults({});
      expect(await ordersOf(token, strict)).toBe(0);
      // the key was freed with the refusal
      expect((await checkout(token, { service: strict, key })).status).toBe(201);
    } finally {
      strict.peers.user.setFaults({});
      await strict.stop();
    }
  });
});

test('without USER_SERVICE_URL the check is off and the start-up says so once', async () => {
  const open = await startTestService({ env: { USER_SERVICE_URL: '' } });
  try {
    open.peers.user.block(9441);
    expect((await checkout(await open.tokens.user(9441), { service: open })).status).toBe(201);
    expect(authMeCalls(open)).toBe(0);
    expect(open.logText().split('\n').filter((l) => l.includes('account check off'))).toHaveLength(1);
  } finally {
    await open.stop();
  }
});
