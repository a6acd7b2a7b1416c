// The order operations of the OpenAPI document, by canonical operationId (storefront twins reuse
// them). Each turns a validated request into a use-case call and the result into JSON, headers
// (ETag, Location, X-Total-Count, Link) and status; errors go to problem.ts.
import type { Request, Response } from 'express';
import type { Context } from 'openapi-backend';
import { DependencyUnavailable, DomainError, PreconditionFailed, ValidationFailed } from '../domain/errors.js';
import { isDatabaseUnavailable } from '../data/database.js';
import type { Actor, PeerContext } from '../orders/ports.js';
import { serialisedOf } from '../orders/views.js';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { ChangeStatusInput, CreateOrderInput, UpdateOrderInput, WriteOptions } from '../orders/service.js';
import { actorOf, type OperationHandlers } from './api.js';
import { hasAuthorizationHeader } from './auth.js';
import type { CheckoutRefusalReason, ServiceMetrics } from './metrics.js';
import { exportHandler, isSearchRequest, sendSearchPage, type OrderSearchUseCases } from './order-search-handlers.js';
import { publicPath } from './public-path.js';
import { basicHealth } from './service-handlers.js';
import { activeTraceparent } from '../tracing/trace-context.js';

type Json = Record<string, unknown>;
// the request bodies' types are the use cases' own (one source, checked against the document by the tests)
export type { ChangeStatusInput, CreateOrderInput, UpdateOrderInput, WriteOptions } from '../orders/service.js';

export interface OrderPage {
  orders: Json[];
  total: number;
}

/**
 * What the HTTP layer needs from the use cases, in the JSON shapes of the document (views.ts).
 * main.ts adapts createOrderService(...) to this.
 */
export interface OrderUseCases extends OrderSearchUseCases {
  createOrder(actor: Actor, input: CreateOrderInput, ctx: PeerContext & { idempotencyKey?: string }): Promise<{ order: Json; replayed?: boolean }>;
  listOrders(actor: Actor, query: { page: number; size: number; status?: OrderStatus }): Promise<OrderPage>;
  getOrder(actor: Actor, orderId: number): Promise<Json>;
  updateOrder(actor: Actor, orderId: number, input: UpdateOrderInput, options: WriteOptions): Promise<Json>;
  changeStatus(actor: Actor, orderId: number, input: ChangeStatusInput, options: WriteOptions): Promise<Json>;
  cancelOrder(actor: Actor, orderId: number, options: WriteOptions): Promise<Json>;
  adminListOrders(
    actor: Actor,
    query: { page: number; size: number; status?: OrderStatus; userId?: number; from?: Date; to?: Date },
  ): Promise<OrderPage>;
  stats(actor: Actor, range: { from?: Date; to?: Date }): Promise<Json>;
}

const PEERS = new Set(['cart-service', 'product-service', 'user-service', 'search-service']);

/** A refused checkout's bounded reason (the metric's label; never the error's text). */
export function refusalReason(err: unknown): CheckoutRefusalReason {
  if (err instanceof DependencyUnavailable) return PEERS.has(err.dependency) ? 'peer_unavailable' : 'dependency_unavailable';
  // the database's own errors (refused, pooler login failing, timeouts) answer 503 postgres too
  if (isDatabaseUnavailable(err)) return 'dependency_unavailable';
  if (!(err instanceof DomainError)) return 'other';
  if (err.type === 'conflict' && 'available' in err.extra) return 'stock';
  if (err.type === 'product-unavailable') return 'product_unavailable';
  if (err.type === 'empty-cart') return 'empty_cart';
  if (err.status === 403 || /blocked/.test(err.type)) return 'blocked';
  if (err.status === 400 || err.status === 422) return 'invalid';
  return 'other';
}

export function createOrderHandlers(deps: {
  orders: OrderUseCases;
  metrics: ServiceMetrics;
  service: { name: string; version: string };
}): OperationHandlers {
  const { orders, metrics } = deps;

  const sendOrder = (res: Response, order: Json, status = 200) => {
    res.setHeader('ETag', etagOf(order));
    sendJson(res.status(status), order);
  };
  const countTransition = (before: string | undefined, order: Json) => {
    const after = String(order.status);
    if (before !== undefined && before !== after) metrics.statusTransitions.inc({ from: before, to: after });
  };

  const listMyOrders = async (c: Context, req: Request, res: Response) => {
    const q = c.request.query as Record<string, unknown>;
    const page = intOr(q.page, 1);
    const size = intOr(q.size, 20);
    const result = await orders.listOrders(actorOf(req), { page, size, status: q.status as OrderStatus | undefined });
    sendPage(req, res, result, page, size);
  };

  /** With If-Match: read the current version first so a stale tag is 412 before anything is tried. */
  const writeOptions = async (req: Request, actor: Actor, orderId: number): Promise<{ options: WriteOptions; before?: string }> => {
    const ifMatch = req.get('if-match');
    if (ifMatch === undefined) return { options: {} };
    const current = await orders.getOrder(actor, orderId);
    if (!etagMatches(ifMatch, etagOf(current))) throw new PreconditionFailed();
    return { options: { expectedVersion: Number(current.version) }, before: String(current.status) };
  };

  return {
    createOrder: async (c, req, res) => {
      const actor = actorOf(req);
      const idempotencyKey = req.get('idempotency-key');
      const { order, replayed } = await orders
        .createOrder(actor, c.request.requestBody as CreateOrderInput, {
          authorization: req.get('authorization'),
          requestId: req.requestId,
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
          ...traceOf(),
        })
        .catch((err: unknown) => {
          metrics.checkoutRefusals.inc({ reason: refusalReason(err) });
          throw err;
        });
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      else metrics.ordersCreated.inc();
      res.setHeader('Location', publicPath(req, `/orders/${String(order.id)}`));
      sendOrder(res, order, 201);
    },

    listMyOrders,

    // GET / : with a token "my orders" (the storefront), without an Authorization header the gateway's health check
    storefrontRoot: async (c, req, res) => {
      if (!hasAuthorizationHeader(req)) {
        res.json(basicHealth(deps.service));
        return;
      }
      const identity = c.security?.bearerAuth as { error?: unknown } | Actor | undefined;
      if (!identity || 'error' in identity) throw identity?.error ?? new Error('security handler gave no identity');
      await listMyOrders(c, req, res);
    },

    getOrder: async (c, req, res) => {
      sendOrder(res, await orders.getOrder(actorOf(req), orderIdOf(c)));
    },

    updateOrder: async (c, req, res) => {
      const actor = actorOf(req);
      const orderId = orderIdOf(c);
      const { options, before } = await writeOptions(req, actor, orderId);
      const previous = before ?? (await statusBefore(orders, actor, orderId, c.request.requestBody as UpdateOrderInput));
      const order = await orders.updateOrder(actor, orderId, c.request.requestBody as UpdateOrderInput, options);
      countTransition(previous, order);
      sendOrder(res, order);
    },

    cancelOrder: async (c, req, res) => {
      const actor = actorOf(req);
      const orderId = orderIdOf(c);
      const { options } = await writeOptions(req, actor, orderId);
      const order = await orders.cancelOrder(actor, orderId, options);
      countTransition(lastTransitionFrom(order), order);
      sendOrder(res, order);
    },

    adminListOrders: async (c, req, res) => {
      const q = c.request.query as Record<string, unknown>;
      const filters = {
        status: q.status as OrderStatus | undefined,
        userId: q.user_id === undefined ? undefined : Number(q.user_id),
        from: rangeStart(q.from),
        to: rangeEnd(q.to),
      };
      if (isSearchRequest(q)) {
        const paging = { page: q.page === undefined ? undefined : Number(q.page), size: intOr(q.size, 20) };
        const search = { q: q.q as string | undefined, sort: q.sort as string | undefined, cursor: q.cursor as string | undefined };
        await sendSearchPage(orders, req, res, { ...search, ...paging, ...filters });
        return;
      }
      const page = intOr(q.page, 1);
      const size = intOr(q.size, 20);
      const result = await orders.adminListOrders(actorOf(req), { page, size, ...filters });
      sendPage(req, res, result, page, size);
    },

    adminExportOrders: exportHandler(orders, (q) => ({ from: rangeStart(q.from)!, to: rangeEnd(q.to)! })),

    adminGetOrder: async (c, req, res) => {
      sendOrder(res, await orders.getOrder(actorOf(req), orderIdOf(c)));
    },

    adminChangeOrderStatus: async (c, req, res) => {
      const actor = actorOf(req);
      const orderId = orderIdOf(c);
      const { options } = await writeOptions(req, actor, orderId);
      const order = await orders.changeStatus(actor, orderId, c.request.requestBody as ChangeStatusInput, options);
      countTransition(lastTransitionFrom(order), order);
      sendOrder(res, order);
    },

    adminOrderStats: async (c, req, res) => {
      const q = c.request.query as Record<string, unknown>;
      sendJson(res, await orders.stats(actorOf(req), { from: rangeStart(q.from), to: rangeEnd(q.to) }));
    },
  };
}

/** Only a status change needs the previous status (for the transitions metric). */
async function statusBefore(orders: OrderUseCases, actor: Actor, orderId: number, input: UpdateOrderInput): Promise<string | undefined> {
  if (input.status === undefined) return undefined;
  return String((await orders.getOrder(actor, orderId)).status);
}

function lastTransitionFrom(order: Json): string | undefined {
  const history = order.status_history as Array<{ from_status?: string | null }> | undefined;
  const last = history?.[history.length - 1];
  return last?.from_status ?? undefined;
}

function orderIdOf(c: Context): number {
  return Number((c.request.params as Record<string, unknown>).order_id);
}

function intOr(value: unknown, fallback: number): number {
  return value === undefined || value === '' ? fallback : Number(value);
}

/** A strong entity tag of the order's version. */
export function etagOf(order: Json): string {
  return `"${String(order.version)}"`;
}

/** RFC 9110 If-Match: "*" or a list of entity tags, compared strongly (a weak tag never matches). */
export function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim() === etag);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// what PostgreSQL and toISOString() both write as a four-digit year (found by the resilience fuzz:
// from=0000-01-01 and to=9999-12-31 passed the schema and failed in the statistics query)
const EARLIEST = new Date('0001-01-01T00:00:00.000Z').getTime();
const LATEST = new Date('9999-12-31T23:59:59.999Z').getTime();

/** from=2024-05-01 means that day's start (UTC); a date-time is taken as is. */
function rangeStart(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  return withinRange('from', DATE_ONLY.test(value) ? new Date(`${value}T00:00:00.000Z`) : dateTime(value));
}

/** to=2024-05-31 includes that whole day: the bound is the next day's start (exclusive). */
function rangeEnd(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  if (!DATE_ONLY.test(value)) return withinRange('to', dateTime(value));
  const end = new Date(`${value}T00:00:00.000Z`);
  end.setUTCDate(end.getUTCDate() + 1);
  // the day after 9999-12-31 has no four-digit year: the end of the last day bounds it as well
  return withinRange('to', end.getTime() === LATEST + 1 ? new Date(LATEST) : end);
}

/**
 * An RFC 3339 date-time as the schema accepts it. Date cannot read a leap second (23:59:60), which
 * the schema allows: it is the instant after :59 (found by the resilience fuzz: a 500 before).
 */
function dateTime(value: string): Date {
  const leap = /^(.*T\d{2}:\d{2}):60(.*)$/i.exec(value);
  return leap ? new Date(new Date(`${leap[1]}:59${leap[2]}`).getTime() + 1000) : new Date(value);
}

function withinRange(field: 'from' | 'to', date: Date): Date {
  const t = date.getTime();
  if (Number.isNaN(t) || t < EARLIEST || t > LATEST) {
    const message = 'must be a date or date-time between 0001-01-01 and 9999-12-31 (UTC)';
    throw new ValidationFailed(`Invalid request: ${field} ${message}`, [{ field, message }]);
  }
  return date;
}

function sendPage(req: Request, res: Response, result: OrderPage, page: number, size: number): void {
  const lastPage = Math.max(1, Math.ceil(result.total / size));
  const link = (p: number, rel: string) => {
    const params = new URLSearchParams(req.query as Record<string, string>);
    params.set('page', String(p));
    params.set('size', String(size));
    return `<${publicPath(req, req.path)}?${params.toString()}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (page > 1) links.push(link(Math.min(page - 1, lastPage), 'prev'));
  if (page < lastPage) links.push(link(page + 1, 'next'));
  links.push(link(lastPage, 'last'));
  res.setHeader('X-Total-Count', String(result.total));
  res.setHeader('Link', links.join(', '));
  res.json(result.orders);
}

/** res.json, or the text a cached value was read from when it has one (the same JSON, not made again). */
/** The checkout's own trace, for its outbox event even when a batch runs it in another member's trace. */
function traceOf(): { traceparent?: string } {
  const traceparent = activeTraceparent();
  return traceparent ? { traceparent } : {};
}

function sendJson(res: Response, value: object): void {
  const text = serialisedOf(value);
  if (text === undefined) res.json(value);
  else res.type('application/json').send(text);
}
