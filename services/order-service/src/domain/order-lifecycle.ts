// The order lifecycle as a table of allowed transitions (ARCHITECTURE.md): pure, no I/O.

export const ORDER_STATUSES = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_STATUSES = ['pending', 'paid', 'failed', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Statuses whose orders count as revenue (and towards the average order value). */
export const REVENUE_STATUSES: readonly OrderStatus[] = ['confirmed', 'processing', 'shipped', 'delivered'];

/** A product's sales count every order that was not cancelled or refunded (pending ones too: placed demand). */
export const UNSOLD_STATUSES: readonly OrderStatus[] = ['cancelled', 'refunded'];
export const countsAsSold = (status: OrderStatus): boolean => !UNSOLD_STATUSES.includes(status);

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['processing', 'cancelled'],
  processing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: ['refunded'],
  cancelled: ['refunded'], // only when the order was paid: see canTransition
  refunded: [],
};

/** Statuses a shopper may cancel their own order from. */
export const SHOPPER_CANCELLABLE: readonly OrderStatus[] = ['pending', 'confirmed'];

export function canTransition(from: OrderStatus, to: OrderStatus, payment: PaymentStatus): boolean {
  if (!TRANSITIONS[from].includes(to)) return false;
  if (from === 'cancelled' && to === 'refunded') return payment === 'paid';
  return true;
}

/** Where an order may go next from `from`. */
export function allowedTransitions(from: OrderStatus, payment: PaymentStatus): OrderStatus[] {
  return TRANSITIONS[from].filter((to) => canTransition(from, to, payment));
}

/**
 * The statuses from which `to` may be reached: the `WHERE status IN (…)` of the conditional
 * update. `cancelled → refunded` additionally needs payment_status = 'paid' (see paidOnlySources).
 */
export function sourcesFor(to: OrderStatus, actor: 'user' | 'admin' = 'admin'): OrderStatus[] {
  const all = ORDER_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
  if (actor === 'user') return to === 'cancelled' ? all.filter((s) => SHOPPER_CANCELLABLE.includes(s)) : [];
  return all;
}

/** Sources of `to` that are allowed only when the order is paid. */
export function paidOnlySources(to: OrderStatus): OrderStatus[] {
  return to === 'refunded' ? ['cancelled'] : [];
}

/** The timestamp column a change into `to` stamps. */
export function timestampColumnFor(to: OrderStatus): string | null {
  return to === 'pending' ? null : `${to}_at`;
}
