// The one place this service replaces parts of openapi-backend's router (pinned to an exact version
// in package.json, since these reach past its public API): the operation list, the matcher and the
// request parser, each built once at start instead of on every request. Same answers as the library:
// test/unit/openapi-router.test.ts compares both on every operation and on paths that match none,
// and BENCHMARKS.md has what they save.
import type { OpenAPIBackend } from 'openapi-backend';

/** Replaces the router's operation list, matcher and request parser with precompiled equivalents. */
export function installPrecompiledRouting(api: OpenAPIBackend): void {
  // openapi-backend rebuilds its flat list of operations (lodash over every path) on each call, twice
  // per routed request; the document never changes after init, so the list is built once
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;
  api.router.matchOperation = precompiledMatcher(api.router, operations);
  api.router.parseRequest = leanRequestParser(api.router, operations);
}

type OperationLike = { path: string; parameters?: unknown[] };

/** A segment a client could have meant as a number: a bad one (1.5, -3, 0, 1e3) is then 400 naming the parameter. */
const NUMBER_SHAPED = '[+-]?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';

/**
 * A path template as the anchored pattern openapi-backend's router builds from it ({x} → [^/]+),
 * except that a template starting with a parameter (the storefront's /{order_id}) would claim every
 * unknown top-level path (/foo, /swagger-ui.css): there an integer parameter matches only a
 * number-shaped segment, so anything else is no route (404) instead of a bad id or a 401.
 */
export function templatePattern(op: OperationLike): RegExp {
  const integers = new Set(
    (op.parameters ?? [])
      .filter((p): p is { in: string; name: string; schema?: { type?: string } } => typeof p === 'object' && p !== null && 'name' in p)
      .filter((p) => p.in === 'path' && p.schema?.type === 'integer')
      .map((p) => p.name),
  );
  const catchAll = /^\/\{[^}]+\}/.test(op.path);
  const parts = op.path.split(/(\{[^}]+\})/);
  const pattern = parts
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return catchAll && integers.has(part.slice(1, -1)) ? NUMBER_SHAPED : '[^/]+';
    })
    .join('');
  return new RegExp(`^${pattern}$`);
}

/**
 * openapi-backend's matchOperation, with its patterns compiled once: the library builds a RegExp
 * from every operation's template on every request. Same
 * rules: an exact path with the method wins; otherwise the templates that match, most specific
 * (longest literal part) first, and the first with the method; a path no template matches is
 * '404-notFound', a path with no such method '405-methodNotAllowed' (the messages the library's
 * handleRequest dispatches on).
 */
function precompiledMatcher(router: OpenAPIBackend['router'], operations: ReturnType<OpenAPIBackend['router']['getOperations']>) {
  const templates = operations
    .map((op) => ({ op, pattern: templatePattern(op), specificity: op.path.replace(/\{.*?\}/g, '').length }))
    .sort((a, b) => b.specificity - a.specificity);
  function matchOperation(req: Parameters<OpenAPIBackend['router']['matchOperation']>[0]): (typeof operations)[number] | undefined;
  function matchOperation(req: Parameters<OpenAPIBackend['router']['matchOperation']>[0], strict: true): (typeof operations)[number];
  function matchOperation(req: Parameters<OpenAPIBackend['router']['matchOperation']>[0], strict?: boolean) {
    const normalised = router.normalizeRequest(req);
    const miss = (message: string) => {
      if (strict) throw new Error(message);
      return undefined;
    };
    // (the document's apiRoot is '/', under which normalizeRequest puts every path)
    const path = router.normalizePath(normalised.path);
    const exact = operations.find((op) => op.path === path && op.method === normalised.method);
    if (exact) return exact;
    const matching = templates.filter((t) => t.pattern.test(path));
    if (matching.length === 0) return miss('404-notFound: no route matches request');
    return matching.find((t) => t.op.method === normalised.method)?.op ?? miss('405-methodNotAllowed: this method is not registered for the route');
  }
  return matchOperation;
}

/**
 * openapi-backend's parseRequest (called three times per request: before routing, after it and by
 * the validator), without the work that is the same every time or thrown away: the library compiles
 * the operation's path template into a RegExp on every call (bath-es5), re-serialises the query into
 * a string it does not use and deep-clones it, and copies the headers through lodash to lowercase
 * keys Node has already lowercased. Same result: headers, cookies, a copy of the query, path
 * parameters decoded with decodeURIComponent (a malformed escape throws URIError, as it does there).
 * Bodies that are still text and query parameters with `content` or `explode: false` styles go to the
 * library's own parser. Properties of the request object other than method, path, headers, query and
 * body are not copied into the result (the request objects app.ts builds have no others).
 */
function leanRequestParser(router: OpenAPIBackend['router'], operations: ReturnType<OpenAPIBackend['router']['getOperations']>) {
  const original = router.parseRequest.bind(router);
  const pathParams = new Map<string, { pattern: RegExp; names: string[] }>();
  const styled = new Set<string>();
  for (const op of operations) {
    const names = [...op.path.matchAll(/\{([A-Za-z0-9_-]+)\}/g)].map((m) => m[1]!);
    const literal = op.path.split(/\{[A-Za-z0-9_-]+\}/).map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pathParams.set(op.operationId ?? '', { pattern: new RegExp(`^${literal.join('([^\\/]*)')}$`), names });
    const special = (op.parameters ?? []).some((p) => !('$ref' in p) && p.in === 'query' && (p.content !== undefined || p.explode === false));
    if (special || names.length !== new Set(names).size) styled.add(op.operationId ?? '');
  }
  type Parse = OpenAPIBackend['router']['parseRequest'];
  type Once = { method: string; path: string; relative: string; headers: Record<string, string | string[]>; cookies: Record<string, string> };
  return ((req: Parameters<Parse>[0] & { [PARSED]?: Once }, operation?: Parameters<Parse>[1]) => {
    if ((req.body && typeof req.body !== 'object') || typeof req.query !== 'object' || (operation && styled.has(operation.operationId ?? ''))) {
      return original(req, operation);
    }
    // what does not depend on the operation, once per request (the library is asked three times)
    let once = req[PARSED];
    if (!once) {
      const headers: Record<string, string | string[]> = {};
      for (const name in req.headers) headers[name.toLowerCase()] = req.headers[name]!;
      const cookies = headers.cookie === undefined ? {} : original({ method: 'get', path: '/', headers: { cookie: headers.cookie }, query: {} }).cookies;
      const { method, path } = router.normalizeRequest(req);
      once = { method, path, relative: router.normalizePath(path), headers, cookies };
      req[PARSED] = once;
    }
    const query: Record<string, string | string[]> = {};
    const given = req.query as Record<string, string | string[]>;
    for (const name in given) query[name] = Array.isArray(given[name]) ? [...given[name]] : given[name]!;
    const params: Record<string, string> = {};
    const compiled = operation && pathParams.get(operation.operationId ?? '');
    if (compiled) {
      const m = compiled.pattern.exec(once.relative);
      if (m) for (let i = 0; i < compiled.names.length; i++) params[compiled.names[i]!] = decodeURIComponent(m[i + 1]!);
    }
    return { method: once.method, path: once.path, headers: once.headers, query, body: req.body, params, cookies: once.cookies, requestBody: req.body };
  }) as Parse;
}

/** Where the request-independent part of a parse is kept on the request object openapi-backend is given. */
const PARSED = Symbol('parsed request');
