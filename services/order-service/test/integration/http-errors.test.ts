// problem.ts maps every error in one place. The use cases are replaced here by an object whose
// methods throw chosen errors (passed in like any dependency), because a real database cannot be
// made to throw "an unknown error with SQL in its message" on demand. Over a real socket.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { Conflict, DependencyUnavailable, InvalidTransition, NotFound, PreconditionFailed, Unprocessable } from '../../src/domain/errors.js';
import type { OrderUseCases } from '../../src/http/order-handlers.js';
import { createLogger } from '../../src/log.js';
import { createTokens } from '../support/tokens.js';

const SECRET = 'recognisable-secret-key-for-error-tests-0123456789';
const config = loadConfig({ SECRET_KEY: SECRET, LOG_LEVEL: 'debug' });
const tokens = createTokens(SECRET);

let server: Server;
let url: string;
let logText = '';
let failWith: unknown;

beforeAll(async () => {
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const log = createLogger({ level: 'debug', service: 'order-service', destination });
  const fail = async (): Promise<never> => {
    throw failWith;
  };
  const orders: OrderUseCases = {
    createOrder: fail,
    listOrders: fail,
    getOrder: fail,
    updateOrder: fail,
    changeStatus: fail,
    cancelOrder: fail,
    adminListOrders: fail,
    stats: fail,
    searchOrders: fail,
    exportOrders: () => {
      throw failWith;
    },
  };
  const { app } = await createApp({ config, orders, log });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function getOrder(error: unknown, headers: Record<string, string> = {}) {
  failWith = error;
  const token = await tokens.user(11);
  const res = await fetch(`${url}/orders/1`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe('problem+json mapping', () => {
  it('an unknown error is 500 with a request id and nothing of its internals, in the response or the log', async () => {
    const internal = Object.assign(new Error('relation "orders" does not exist: SELECT * FROM orders WHERE password = \'hunter2\''), {
      code: '42P01',
      sql: 'SELECT * FROM orders',
    });
    const { res, body } = await getOrder(internal, { 'x-request-id': 'req-500-test' });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ status: 500, type: expect.stringContaining('internal-error'), request_id: 'req-500-test' });
    const text = JSON.stringify(body);
    for (const leak of ['SELECT', 'hunter2', 'relation', '42P01', 'at ']) expect(text).not.toContain(leak);

    const line = logText.split('\n').find((l) => l.includes('"request failed"') && l.includes('req-500-test'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!);
    expect(entry.err).toEqual({ class: 'Error', code: '42P01', why: 'SQLSTATE 42P01 undefined_table', sqlstate: '42P01', condition: 'undefined_table' });
    for (const leak of ['SELECT', 'hunter2', 'stack']) expect(line).not.toContain(leak);
  });

  it('a dependency outage is 503 naming the dependency, with Retry-After', async () => {
    const { res, body } = await getOrder(new DependencyUnavailable('product-service', 'The product service is not answering', 7));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(body).toMatchObject({ dependency: 'product-service', detail: 'The product service is not answering' });
  });

  it.each([
    [new NotFound(), 404, 'not-found'],
    [new InvalidTransition('shipped', 'pending'), 409, 'invalid-transition'],
    [new Conflict('Another change won the race'), 409, 'conflict'],
    [new PreconditionFailed(), 412, 'precondition-failed'],
    [new Unprocessable('unknown-product', 'Product 7 does not exist', { product_id: 7 }), 422, 'unknown-product'],
  ])('%p is %d with type %s', async (error, status, type) => {
    const { res, body } = await getOrder(error);
    expect(res.status).toBe(status);
    expect(body.type).toBe(`https://orders.ecommerce.dev/problems/${type}`);
    expect(body.instance).toBe('/orders/1');
  });

  it('an invalid transition carries the current and requested status', async () => {
    const { body } = await getOrder(new InvalidTransition('shipped', 'pending'));
    expect(body).toMatchObject({ current_status: 'shipped', requested_status: 'pending' });
  });
});

describe('log lines', () => {
  it('one access line per request with request id, route template and status; never the token or secret', async () => {
    const token = await tokens.user(12);
    failWith = new NotFound();
    await fetch(`${url}/orders/77`, { headers: { authorization: `Bearer ${token}`, cookie: 'session=abc', 'x-request-id': 'req-log-test' } });
    const line = logText.split('\n').find((l) => l.includes('req-log-test') && l.includes('request answered'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ route: '/orders/{order_id}', status: 404, method: 'GET', user_id: 12, level: 'info' });
    expect(logText).not.toContain(token);
    expect(logText).not.toContain(SECRET);
    expect(logText).not.toContain('session=abc');
  });
});
