// openapi-backend built from openapi/order-service.yaml: it routes every request, checks security
// and validates parameters and bodies with Ajv validators compiled once at start. Handlers are
// registered by operationId; a storefront twin (x-twin-of) gets its canonical operation's handler.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, RequestHandler, Response } from 'express';
import { OpenAPIBackend, type Context, type Document } from 'openapi-backend';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { Forbidden, type FieldError } from '../domain/errors.js';
import type { Actor } from '../orders/ports.js';
import { hasAuthorizationHeader, identify } from './auth.js';
import { HttpProblem, sendProblem, toProblem } from './problem.js';

export type OperationHandler = (c: Context, req: Request, res: Response) => unknown;
export type OperationHandlers = Record<string, OperationHandler>;

interface ErrorObjectLike {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

const DOCUMENT_RELATIVE_PATH = join('openapi', 'order-service.yaml');

/** Finds openapi/order-service.yaml above this module (works from src/ under ts-jest and from dist/). */
export function findApiDocumentPath(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, DOCUMENT_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${DOCUMENT_RELATIVE_PATH} not found above ${start}`);
    dir = parent;
  }
}

export function loadApiDocument(path = findApiDocumentPath()): Document {
  return parse(readFileSync(path, 'utf8')) as Document;
}

/** Every operation of the document: its id, method, path template and x- extensions. */
export function listOperations(document: Document): Array<{
  operationId: string;
  method: string;
  path: string;
  twinOf: string | undefined;
  requiredRole: string | undefined;
}> {
  const result = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'options', 'head']) {
      const op = (item as Record<string, Record<string, unknown> | undefined>)[method];
      if (!op) continue;
      result.push({
        operationId: String(op.operationId),
        method,
        path,
        twinOf: op['x-twin-of'] as string | undefined,
        requiredRole: op['x-required-role'] as string | undefined,
      });
    }
  }
  return result;
}

/**
 * The handler each operation runs: its own, or its twin's canonical one. Throws when an operation
 * has no handler or a handler matches no operation (the contract test relies on this).
 */
export function resolveHandlers(document: Document, handlers: OperationHandlers): OperationHandlers {
  const operations = listOperations(document);
  const ids = new Set(operations.map((op) => op.operationId));
  const orphans = Object.keys(handlers).filter((id) => !ids.has(id));
  if (orphans.length > 0) throw new Error(`handlers without an operation in the document: ${orphans.join(', ')}`);
  const resolved: OperationHandlers = {};
  const missing: string[] = [];
  for (const op of operations) {
    const handler = handlers[op.operationId] ?? (op.twinOf ? handlers[op.twinOf] : undefined);
    if (handler) resolved[op.operationId] = handler;
    else missing.push(op.operationId);
  }
  if (missing.length > 0) throw new Error(`operations without a handler: ${missing.join(', ')}`);
  return resolved;
}

export async function createApi(document: Document, handlers: OperationHandlers): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({
    // openapi-backend dereferences in place; /openapi.json keeps serving the untouched original
    definition: structuredClone(document),
    strict: true,
    quick: false, // compile every validator now, not on the first request
    validate: true,
    // coercion re-parses a copy of the request, which loses Express's getters; handlers convert ids themselves
    coerceTypes: false,
    ignoreTrailingSlashes: true,
    ajvOpts: { allErrors: true, strict: false },
    customizeAjv: (ajv) => {
      const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
      (addFormats as unknown as (a: typeof ajv) => void)(ajv);
      return ajv;
    },
  });
  await api.init();
  // openapi-backend rebuilds its flat list of operations (lodash over every path) on each call, twice
  // per routed request; the document never changes after init, so the list is built once
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;
  api.router.matchOperation = precompiledMatcher(api.router, operations);
  api.router.parseRequest = leanRequestParser(api.router, operations);

  api.register(resolveHandlers(document, handlers));
  api.registerSecurityHandler('bearerAuth', (_c: Context, req: Request) => {
    // no token at all: not authorised (the unauthorizedHandler says so), without building an error
    // for every anonymous request to an operation where a token is optional (/health/*)
    if (!hasAuthorizationHeader(req)) return false;
    const actor = identify(req);
    req.actor = actor;
    return actor;
  });
  api.register({
    preRoutingHandler: (_c: Context, req: Request) => {
      // a path that cannot be decoded names no resource; said before routing, so no parameter parser meets it
      if (!isDecodablePath(req.path)) throw new HttpProblem(400, 'malformed-path', 'The request path has a malformed percent-encoding (a % must be followed by two hex digits of UTF-8)');
    },
    postRoutingHandler: (c: Context, req: Request) => {
      if (c.operation) req.routeTemplate = c.operation.path;
    },
    postSecurityHandler: (c: Context, req: Request) => {
      const role = (c.operation as unknown as Record<string, unknown>)['x-required-role'];
      if (role === 'admin' && req.actor && req.actor.role !== 'admin') throw new Forbidden();
    },
    unauthorizedHandler: (c: Context, req: Request, res: Response) => {
      const failure = (c.security?.bearerAuth as { error?: unknown } | undefined)?.error;
      sendProblem(req, res, toProblem(failure ?? new HttpProblem(401, 'unauthorized', 'A bearer token is required', {}, { 'WWW-Authenticate': 'Bearer realm="orders"' })));
    },
    validationFail: (c: Context, req: Request, res: Response) => {
      const errors = fieldErrors((c.validation.errors ?? []) as ErrorObjectLike[]);
      const detail = `Invalid request: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`.slice(0, 1000);
      sendProblem(req, res, toProblem(new HttpProblem(400, 'validation-failed', detail, { errors })));
    },
    notFound: (_c: Context, req: Request, res: Response) => {
      sendProblem(req, res, toProblem(new HttpProblem(404, 'not-found', `No route matches ${req.method} ${req.path}`)));
    },
    methodNotAllowed: (c: Context, req: Request, res: Response) => {
      const allow = allowedMethods(c.api, req.path);
      sendProblem(
        req,
        res,
        toProblem(
          new HttpProblem(405, 'method-not-allowed', `${req.method} is not allowed here; allowed: ${allow.join(', ')}`, {}, { Allow: allow.join(', ') }),
        ),
      );
    },
  });
  return api;
}

/** Whether every percent-escape of a path is a %XX that decodes as UTF-8 (/%zz, /abc% and /%E0%A4 are not). */
export function isDecodablePath(path: string): boolean {
  if (!path.includes('%')) return true;
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
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
function templatePattern(op: OperationLike): RegExp {
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
 * from every operation's template on every request (a tenth of the CPU of a cached read). Same
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

/**
 * Probes (kubelet, Prometheus, the gateway's health check) without the general request pipeline.
 * An operation qualifies when the document gives it nothing to check: a GET with no parameters, no
 * body and anonymous access allowed. A request takes this path only when it is exactly such an
 * operation's path with no query string, no body, no Authorization and no Origin header, so routing,
 * parsing, security and validation by openapi-backend could only have come to the same handler with
 * an anonymous caller; anything else (a token, CORS, a query, a trailing slash) goes the full way.
 * Request id, metrics and the access log run before this, as for every request.
 */
export function anonymousProbes(api: OpenAPIBackend): RequestHandler {
  const probes = new Map<string, { path: string; handler: OperationHandler; context: Context }>();
  for (const op of api.router.getOperations()) {
    const requirements = op.security ?? api.document.security ?? [];
    const anonymous = requirements.length === 0 || requirements.some((requirement) => Object.keys(requirement).length === 0);
    const handler = api.handlers[op.operationId ?? ''] as OperationHandler | undefined;
    if (op.method !== 'get' || (op.parameters ?? []).length > 0 || op.requestBody || !anonymous || !handler) continue;
    probes.set(op.path, { path: op.path, handler, context: { api, operation: op, security: { authorized: true } } as unknown as Context });
  }
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.authorization !== undefined || req.headers.origin !== undefined) return next();
    const probe = probes.get(req.url);
    if (!probe || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return next();
    req.routeTemplate = probe.path;
    try {
      Promise.resolve(probe.handler(probe.context, req, res)).catch(next);
    } catch (err) {
      next(err);
    }
  };
}

/** The methods the document declares for every path template the given path matches. */
export function allowedMethods(api: OpenAPIBackend, path: string): string[] {
  const normalised = api.router.normalizePath(path);
  const operations = api.router.getOperations();
  // a static path (/orders) owns its methods even though /{order_id} would also match it
  const exact = operations.filter((op) => op.path === normalised);
  const candidates = exact.length > 0 ? exact : operations;
  const methods = new Set<string>();
  for (const op of candidates) {
    if (templatePattern(op).test(normalised)) methods.add(op.method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** The verified caller of an operation that requires a token (set by the security handler). */
export function actorOf(req: Request): Actor {
  if (!req.actor) throw new HttpProblem(401, 'unauthorized', 'A bearer token is required');
  return req.actor;
}

/**
 * Ajv's errors as {field, message}: body fields as dotted paths (items[0].quantity), parameters by
 * their name. One entry per field and message.
 */
export function fieldErrors(errors: ErrorObjectLike[]): FieldError[] {
  const byField = new Map<string, ErrorObjectLike[]>();
  for (const error of errors) {
    const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const location = segments.shift();
    if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') segments.push(error.params.missingProperty);
    if (error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string') {
      segments.push(error.params.additionalProperty);
    }
    let field = segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
    // a missing body is reported by Ajv as the root missing its "requestBody" property
    if (location === undefined && field === 'requestBody') field = 'body';
    if (!field) field = location === 'requestBody' || location === undefined ? 'body' : location;
    if (location === 'header') field = `header ${field}`;
    byField.set(field, [...(byField.get(field) ?? []), error]);
  }
  const result: FieldError[] = [];
  for (const [field, group] of byField) {
    const alternatives = group.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
    if (alternatives) {
      const formats = group.filter((e) => e.keyword === 'format').map((e) => String(e.params.format));
      result.push({ field, message: formats.length > 0 ? `must be a valid ${formats.join(' or ')}` : 'does not match any allowed form' });
      continue;
    }
    for (const message of new Set(group.map((e) => messageFor(field, e)))) result.push({ field, message });
  }
  return result;
}

function messageFor(field: string, e: ErrorObjectLike): string {
  switch (e.keyword) {
    case 'required':
      return field === 'body' ? 'a JSON body is required' : 'is required';
    case 'additionalProperties':
      return 'is not an allowed field';
    case 'type':
      return `must be ${e.params.type === 'integer' ? 'an integer' : `of type ${String(e.params.type)}`}`;
    case 'enum':
      return `must be one of: ${(e.params.allowedValues as unknown[]).filter((v) => v !== null).join(', ')}`;
    case 'format':
      return `must be a valid ${String(e.params.format)}`;
    default:
      return e.message ?? 'is invalid';
  }
}
