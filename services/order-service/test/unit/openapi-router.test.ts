// The precompiled router (src/http/openapi-router.ts) against openapi-backend's own, both built from
// the document with the service's options: the same operation (or the same 404/405) for every
// operation's path under every method, with and without a trailing slash, and for paths that match
// none; the same parse of every matched request. The one intended difference: a top-level segment
// that is not number-shaped belongs to its literal route only (404 without one, 405 for a method it
// lacks), never to the storefront's /{order_id}.
import type { OpenAPIBackend, Operation } from 'openapi-backend';
import { listOperations, loadApiDocument, newBackend } from '../../src/http/api.js';
import { installPrecompiledRouting } from '../../src/http/openapi-router.js';

type Req = Parameters<OpenAPIBackend['router']['matchOperation']>[0];

const document = loadApiDocument();
let library: OpenAPIBackend;
let ours: OpenAPIBackend;

beforeAll(async () => {
  library = newBackend(document);
  ours = newBackend(document);
  await Promise.all([library.init(), ours.init()]);
  installPrecompiledRouting(ours);
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'head'];
const SAMPLES = ['7', '0', '1.5', 'abc', 'swagger-ui.css', '%37', 'caf%C3%A9'];

/** Every operation's template with each sample in its parameters, plus paths that no template has. */
function paths(): string[] {
  const out = new Set<string>(['/', '/nope', '/orders/7/extra', '/admin/orders/7/status/x', '/health/nope', '/%E2%82%AC', '//orders', '/orders//7']);
  for (const op of listOperations(document)) {
    for (const sample of SAMPLES) {
      const path = op.path.replace(/\{[^}]+\}/g, sample);
      out.add(path);
      out.add(`${path}/`);
    }
  }
  return [...out];
}

function requests(): Req[] {
  const headers = { authorization: 'Bearer x', 'content-type': 'application/json', cookie: 'a=1; b=two', 'x-request-id': 'r-1' };
  const queries: Array<Record<string, string | string[]>> = [{}, { page: '2', size: '10' }, { status: ['pending', 'shipped'] }];
  return paths().flatMap((path, i) => METHODS.map((method) => ({ method, path, headers, query: queries[i % queries.length]!, body: method === 'post' ? { a: 1 } : undefined })));
}

const outcome = (api: OpenAPIBackend, req: Req): string => {
  try {
    return api.router.matchOperation(req, true).operationId ?? '?';
  } catch (err) {
    // the library's handleRequest dispatches on the message's prefix: '404-notFound', '405-methodNotAllowed'
    return String((err as Error).message).split(':')[0]!;
  }
};

const storefrontCatchAll = (req: Req) => !/^\/[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\/?$/.test(req.path) && req.path.split('/').filter(Boolean).length === 1;

test('the same operation, 404 or 405 as the library for every request but a top-level non-number, which only its literal route answers', () => {
  const differences: string[] = [];
  const intended: string[] = [];
  let compared = 0;
  for (const req of requests()) {
    const [theirs, mine] = [outcome(library, req), outcome(ours, req)];
    compared++;
    if (theirs === mine) continue;
    const line = `${req.method.toUpperCase()} ${req.path}: library ${theirs}, ours ${mine}`;
    // the library reached /{order_id} (or found it lacks the method); ours asks only the literal routes
    const viaCatchAll = library.router.getOperation(theirs)?.path.startsWith('/{') || theirs === '405-methodNotAllowed';
    if (storefrontCatchAll(req) && viaCatchAll && /^40[45]-/.test(mine)) intended.push(line);
    else differences.push(line);
  }
  expect(compared).toBeGreaterThan(500);
  expect(differences).toEqual([]);
  // the difference is real: /abc and /swagger-ui.css would be the storefront's order route in the library
  expect(intended).toEqual(expect.arrayContaining([expect.stringContaining('GET /abc:'), expect.stringContaining('GET /swagger-ui.css:')]));
  expect(outcome(ours, { method: 'get', path: '/7', headers: {}, query: {} })).toBe(outcome(library, { method: 'get', path: '/7', headers: {}, query: {} }));
});

test('the same parse as the library for every request that names an operation', () => {
  let compared = 0;
  for (const req of requests()) {
    let op: Operation | undefined;
    try {
      op = library.router.matchOperation(req, true);
    } catch {
      continue;
    }
    if (outcome(ours, req) !== op.operationId) continue;
    const parse = (api: OpenAPIBackend) => {
      try {
        return api.router.parseRequest(structuredClone(req), op);
      } catch (err) {
        return { threw: (err as Error).name };
      }
    };
    expect([req.method, req.path, parse(ours)]).toEqual([req.method, req.path, parse(library)]);
    compared++;
  }
  expect(compared).toBeGreaterThan(100);
});

test('the operation list is built once and is the library’s list', () => {
  expect(ours.router.getOperations()).toBe(ours.router.getOperations());
  expect(ours.router.getOperations().map((o) => `${o.method} ${o.path} ${o.operationId}`)).toEqual(library.router.getOperations().map((o) => `${o.method} ${o.path} ${o.operationId}`));
});
