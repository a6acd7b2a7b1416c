// What a checkout writes beside its orders and what runs after it: idempotency keys, the outbox,
// the stock reservations and the products' locks. src/data/ implements these over PostgreSQL.

import type { OrderRepository, StatsStore, Tx, UnitOfWork } from './persistence.js';

export type IdempotencyBegin = { kind: 'new'; token: string } | { kind: 'replay'; status: number; body: unknown };

/** One request's claim on a key. */
export interface KeyClaim {
  userId: number;
  key: string;
  token: string;
}

/** The key was taken over by a retry after this request's lease lapsed: it must not commit. */
export class KeyTakenOver extends Error {
  constructor(readonly claim: KeyClaim) {
    super('idempotency key taken over by a retry');
    this.name = 'KeyTakenOver';
  }
}

export interface IdempotencyStore {
  /** claims the key, or says what it holds: a replay, 422 for another body, 409 while in flight */
  begin(userId: number, key: string, fingerprint: string): Promise<IdempotencyBegin>;
  /** what the key says to a request that does not hold it; null when it is gone */
  outcome(userId: number, key: string, fingerprint: string): Promise<IdempotencyBegin | null>;
  /** locks the claims' keys for tx and returns those a retry has taken over */
  hold(claims: KeyClaim[], tx: Tx): Promise<Set<KeyClaim>>;
  /** records each response with its order in one statement; KeyTakenOver when a claim no longer holds its key */
  completeAll(entries: Array<{ claim: KeyClaim; response: RecordedResponse }>, tx: Tx): Promise<void>;
  /** frees the key after a failure, unless a retry holds it now */
  release(claim: KeyClaim): Promise<void>;
}

/** The response a key replays: recorded with the order it created. */
export interface RecordedResponse {
  status: number;
  body: unknown;
  orderId: number;
}

export type OrderEventType = 'order.created' | 'order.status_changed' | 'order.cancelled';

export interface NewOutboxEvent {
  type: OrderEventType;
  orderId: number;
  userId: number;
  payload: Record<string, unknown>;
  clearCart?: boolean;
  /** the causing request's W3C traceparent (a batch passes each member's own) */
  traceparent?: string;
}

export interface OutboxEvent {
  id: number;
  eventId: string;
  type: OrderEventType;
  orderId: number;
  userId: number;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** the end of this relay's claim: after it another relay may take the event */
  claimedUntil: Date;
  published: boolean;
  cartCleared: boolean;
  attempts: number;
  /** the W3C traceparent of the request that caused the event, when it was in a trace */
  traceparent: string | null;
}

export interface Outbox {
  /** writes the events in tx (with their webhook deliveries) in one statement; returns their event ids */
  addAll(events: NewOutboxEvent[], tx: Tx): Promise<string[]>;
  /** one event: addAll of one */
  add(event: NewOutboxEvent, tx: Tx): Promise<string>;
  claimDue(limit: number, leaseSeconds: number): Promise<OutboxEvent[]>;
  markPublished(id: number): Promise<void>;
  markCartCleared(id: number): Promise<void>;
  markFailed(id: number, attempts: number, error: string): Promise<void>;
  release(id: number): Promise<void>;
  pendingStats(): Promise<{ pending: number; oldestAgeSeconds: number }>;
}

export interface Reservation {
  id: number;
  reservationId: string;
  productId: number;
  quantity: number;
  stockBefore: number;
  stockAfter: number;
  /** the fate of the lock holder's transaction (null: unknown); only from pendingFor */
  holder?: 'in progress' | 'committed' | 'aborted' | null;
}

export type ReservationLine = Omit<Reservation, 'id' | 'reservationId' | 'holder'>;

export interface StockReservations {
  /** committed on its own (or in tx) before any PATCH; `lockXid` is the lock holder's transaction */
  record(lines: ReservationLine[], lockXid: string, tx?: Tx): Promise<string>;
  markApplied(reservationId: string, orderId: number, tx: Tx): Promise<void>;
  mark(id: number, state: 'compensated' | 'needs_review', tx?: Tx): Promise<void>;
  markReservation(reservationId: string, state: 'compensated', tx?: Tx): Promise<void>;
  /** the pending rows of these products, newest first, with their holder's fate */
  pendingFor(productIds: number[], tx?: Tx): Promise<Reservation[]>;
  stalePending(olderThanSeconds: number): Promise<Reservation[]>;
}

export interface LockDeadlines {
  /** how long to wait for another replica's checkout of the same products */
  lockTimeoutMs: number;
  /** any one statement of the checkout */
  statementTimeoutMs: number;
  /** between statements (peer calls happen there): a stalled process's locks are freed after it */
  idleTimeoutMs: number;
}

export const DEFAULT_LOCK_DEADLINES: LockDeadlines = { lockTimeoutMs: 3_000, statementTimeoutMs: 5_000, idleTimeoutMs: 15_000 };

/** The open transaction holding the products' locks: work in it sees and writes under them. */
export interface LockedCheckout {
  tx: Tx;
  /** the holding transaction's id, recorded with every reservation it makes (crash repair asks its fate) */
  xid: string;
  /** true while the session holding the locks is still there (also when its transaction is aborted) */
  stillHeld(): Promise<boolean>;
}

export interface StockLocks {
  /** runs fn in one transaction holding every product's lock (across replicas), committed with it */
  withProductLocks<T>(productIds: number[], fn: (locked: LockedCheckout) => Promise<T>, deadlines?: LockDeadlines): Promise<T>;
}

/** Everything the order use cases persist through, built once by the data layer. */
export interface OrderPersistence {
  uow: UnitOfWork;
  orders: OrderRepository;
  idempotency: IdempotencyStore;
  outbox: Outbox;
  reservations: StockReservations;
  stockLocks: StockLocks;
  stats: StatsStore;
}

/** Where the relay publishes delivered events (events/stream-publisher.ts). */
export interface EventPublisher {
  /** published: appended now; duplicate: appended before; lapsed: the claim ended, nothing appended */
  publish(event: OutboxEvent): Promise<'published' | 'duplicate' | 'lapsed'>;
  /** the outbox recorded the event as published: its mark may go */
  settle(event: Pick<OutboxEvent, 'eventId'>): Promise<void>;
}
