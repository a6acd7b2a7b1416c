// The order operations of the OpenAPI document, by canonical operationId (storefront twins reuse
// them). Each turns a validated request into a use-case call and the result into JSON, headers
// (ETag, Location, X-Total-Count, Link) and status; errors go to problem.ts.
import type { Request, Response } from 'express';
import type { Context } from 'openapi-backend';
import { DependencyUnavailable, DomainError, PreconditionFailed } from '../domain/errors.js';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { Actor } from '../orders/ports.js';
import type { ChangeStatusInput, CreateOrderInput, UpdateOrderInput, WriteOptions } from '../orders/service.js';
import { activeTraceparent } from '../tracing/trace-context.js';
import { actorOf, type OperationHandlers } from './api.js';
import { hasAuthorizationHeader } from './auth.js';
import { rangeEnd, rangeStart } from './date-range.js';
import type { CheckoutRefusalReason, ServiceMetrics } from './metrics.js';
import { etagMatches, etagOf, sendJson, sendOrder, sendPage } from './order-responses.js';
import { exportHandler, isSearchRequest, sendSearchPage } from './order-search-handlers.js';
import type { OrderUseCases } from './order-use-cases.js';
import { publicPath } from './public-path.js';
import { basicHealth } from './service-handlers.js';

type Json = Record<string, unknown>;
// the request bodies' types are the use cases' own (one source, checked against the document by the tests)
export type { ChangeStatusInput, CreateOrderInput, UpdateOrderInput, WriteOptions } from '../orders/service.js';
export type { JsonText, OrderPage, OrderUseCases } from './order-use-cases.js';

/** Tells the errors that mean "the database is not there" (data/database.ts); injected so http/ needs no data/. */
export type UnavailableClassifier = (err: unknown) => boolean;

const PEERS = new Set(['cart-service', 'product-service', 'user-service', 'search-service']);

/** A refused checkout's bounded reason (the metric's label; never the error's text). */
export function refusalReason(err: unknown, isDatabaseUnavailable: UnavailableClassifier): CheckoutRefusalReason {
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

export interface OrderHandlerDeps {
  orders: OrderUseCases;
  metrics: ServiceMetrics;
  service: { name: string; version: string };
  /** database errors that count as dependency_unavailable refusals (none without it) */
  isDatabaseUnavailable?: UnavailableClassifier;
}

export function createOrderHandlers(deps: OrderHandlerDeps): OperationHandlers {
  return { ...checkoutHandlers(deps), ...readHandlers(deps), ...writeHandlers(deps) };
}

function checkoutHandlers({ orders, metrics, isDatabaseUnavailable = () => false }: OrderHandlerDeps): OperationHandlers {
  return {
    createOrder: async (c, req, res) => {
      const idempotencyKey = req.get('idempotency-key');
      const traceparent = activeTraceparent(); // the checkout's own trace, for its event even when a batch runs it in another's
      const { order, replayed } = await orders
        .createOrder(actorOf(req), c.request.requestBody as CreateOrderInput, {
          authorization: req.get('authorization'),
          requestId: req.requestId,
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
          ...(traceparent ? { traceparent } : {}),
        })
        .catch((err: unknown) => {
          metrics.checkoutRefusals.inc({ reason: refusalReason(err, isDatabaseUnavailable) });
          throw err;
        });
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      else metrics.ordersCreated.inc();
      res.setHeader('Location', publicPath(req, `/orders/${String(order.id)}`));
      sendOrder(res, { json: order }, 201);
    },
  };
}

function readHandlers({ orders, service }: OrderHandlerDeps): OperationHandlers {
  const listMyOrders = async (c: Context, req: Request, res: Response) => {
    const q = c.request.query as Record<string, unknown>;
    const page = intOr(q.page, 1);
    const size = intOr(q.size, 20);
    sendPage(req, res, await orders.listOrders(actorOf(req), { page, size, status: q.status as OrderStatus | undefined }), page, size);
  };
  const getOrder = async (c: Context, req: Request, res: Response) => sendOrder(res, await orders.getOrder(actorOf(req), orderIdOf(c)));
  return {
    listMyOrders,
    // GET / : with a token "my orders" (the storefront), without an Authorization header the gateway's health check
    storefrontRoot: async (c, req, res) => {
      if (!hasAuthorizationHeader(req)) {
        res.json(basicHealth(service));
        return;
      }
      const identity = c.security?.bearerAuth as { error?: unknown } | Actor | undefined;
      if (!identity || 'error' in identity) throw identity?.error ?? new Error('security handler gave no identity');
      await listMyOrders(c, req, res);
    },
    getOrder,
    adminGetOrder: getOrder,
    adminListOrders: async (c, req, res) => {
      const q = c.request.query as Record<string, unknown>;
      const filters = { status: q.status as OrderStatus | undefined, userId: q.user_id === undefined ? undefined : Number(q.user_id), from: rangeStart(q.from), to: rangeEnd(q.to) };
      if (isSearchRequest(q)) {
        const paging = { page: q.page === undefined ? undefined : Number(q.page), size: intOr(q.size, 20) };
        const search = { q: q.q as string | undefined, sort: q.sort as string | undefined, cursor: q.cursor as string | undefined };
        await sendSearchPage(orders, req, res, { ...search, ...paging, ...filters });
        return;
      }
      const page = intOr(q.page, 1);
      const size = intOr(q.size, 20);
      sendPage(req, res, await orders.adminListOrders(actorOf(req), { page, size, ...filters }), page, size);
    },
    adminExportOrders: exportHandler(orders, (q) => ({ from: rangeStart(q.from)!, to: rangeEnd(q.to)! })),
    adminOrderStats: async (c, req, res) => {
      const q = c.request.query as Record<string, unknown>;
      sendJson(res, await orders.stats(actorOf(req), { from: rangeStart(q.from), to: rangeEnd(q.to) }));
    },
  };
}

function writeHandlers({ orders, metrics }: OrderHandlerDeps): OperationHandlers {
  const countTransition = (before: string | undefined, order: Json) => {
    const after = String(order.status);
    if (before !== undefined && before !== after) metrics.statusTransitions.inc({ from: before, to: after });
  };
  /** With If-Match: read the current version first so a stale tag is 412 before anything is tried. */
  const writeOptions = async (req: Request, actor: Actor, orderId: number): Promise<{ options: WriteOptions; before?: string }> => {
    const ifMatch = req.get('if-match');
    if (ifMatch === undefined) return { options: {} };
    const current = (await orders.getOrder(actor, orderId)).json;
    if (!etagMatches(ifMatch, etagOf(current))) throw new PreconditionFailed();
    return { options: { expectedVersion: Number(current.version) }, before: String(current.status) };
  };
  return {
    updateOrder: async (c, req, res) => {
      const actor = actorOf(req);
      const orderId = orderIdOf(c);
      const input = c.request.requestBody as UpdateOrderInput;
      const { options, before } = await writeOptions(req, actor, orderId);
      // only a status change needs the previous status (for the transitions metric)
      const previous = before ?? (input.status === undefined ? undefined : String((await orders.getOrder(actor, orderId)).json.status));
      const order = await orders.updateOrder(actor, orderId, input, options);
      countTransition(previous, order);
      sendOrder(res, { json: order });
    },
    cancelOrder: async (c, req, res) => {
      const actor = actorOf(req);
      const orderId = orderIdOf(c);
      const order = await orders.cancelOrder(actor, orderId, (await writeOptions(req, actor, orderId)).options);
      countTransition(lastTransitionFrom(order), order);
      sendOrder(res, { json: order });
    },
    adminChangeOrderStatus: async (c, req, res) => {
      const actor = actorOf(req);
      const orderId = orderIdOf(c);
      const order = await orders.changeStatus(actor, orderId, c.request.requestBody as ChangeStatusInput, (await writeOptions(req, actor, orderId)).options);
      countTransition(lastTransitionFrom(order), order);
      sendOrder(res, { json: order });
    },
  };
}

function lastTransitionFrom(order: Json): string | undefined {
  const history = order.status_history as Array<{ from_status?: string | null }> | undefined;
  return history?.[history.length - 1]?.from_status ?? undefined;
}

function orderIdOf(c: Context): number {
  return Number((c.request.params as Record<string, unknown>).order_id);
}

function intOr(value: unknown, fallback: number): number {
  return value === undefined || value === '' ? fallback : Number(value);
}
