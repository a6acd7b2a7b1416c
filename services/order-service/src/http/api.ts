// openapi-backend built from openapi/order-service.yaml: it routes every request, checks security
// and validates parameters and bodies with Ajv validators compiled once at start (for requests only:
// the service never validates its own responses; tests compile those on first use). Handlers are
// registered by operationId; a storefront twin (x-twin-of) gets its canonical operation's handler.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import { OpenAPIBackend, OpenAPIValidator, type Context, type Document } from 'openapi-backend';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { Forbidden, type FieldError } from '../domain/errors.js';
import type { Actor } from '../orders/ports.js';
import { hasAuthorizationHeader, identify } from './auth.js';
import { installPrecompiledRouting, templatePattern } from './openapi-router.js';
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

/** openapi-backend over the document with this service's options (not yet initialised). */
export function newBackend(document: Document): OpenAPIBackend {
  return new OpenAPIBackend({
    // openapi-backend dereferences in place; /openapi.json keeps serving the untouched original
    definition: structuredClone(document),
    strict: true,
    quick: false, // the document validated and dereferenced as the library does by default
    validate: false, // until initBackend has compiled the request validators
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
}

/** init(), then every request validator compiled now, not on the first request; response validators on use. */
async function initBackend(api: OpenAPIBackend): Promise<OpenAPIBackend> {
  await api.init();
  const validator = new OpenAPIValidator({
    definition: api.definition,
    ajvOpts: api.ajvOpts,
    ...(api.customizeAjv ? { customizeAjv: api.customizeAjv } : {}),
    router: api.router,
    lazyCompileValidators: true,
    coerceTypes: api.coerceTypes,
  });
  validator.preCompileRequestValidators();
  api.validator = validator;
  api.validate = true;
  return api;
}

export async function createApi(document: Document, handlers: OperationHandlers): Promise<OpenAPIBackend> {
  const api = await initBackend(newBackend(document));
  installPrecompiledRouting(api);

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
