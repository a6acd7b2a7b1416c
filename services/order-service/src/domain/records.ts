// An order as the use cases see it: amounts in integer minor units, ids as numbers.

import type { OrderStatus, PaymentStatus } from './order-lifecycle.js';

export interface Address {
  address: string;
  city: string;
  state?: string | null;
  postal_code: string;
  country: string;
}

export interface OrderItemRecord {
  id: number;
  productId: number;
  sku: string | null;
  productName: string;
  productImage: string | null;
  quantity: number;
  unitPriceMinor: number;
  totalPriceMinor: number;
}

export interface StatusChangeRecord {
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  actorId: number | null;
  actorRole: string | null;
  reason: string | null;
  createdAt: Date;
}

/** What an order costs, in integer minor units of its currency. */
export interface OrderAmounts {
  currency: string;
  subtotalMinor: number;
  taxMinor: number;
  shippingMinor: number;
  discountMinor: number;
  totalMinor: number;
}

export interface OrderRecord extends OrderAmounts {
  id: number;
  orderNumber: string;
  userId: number;
  customerEmail: string;
  customerPhone: string | null;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  shipping: Address;
  billing: Address | null;
  notes: string | null;
  trackingNumber: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  confirmedAt: Date | null;
  processingAt: Date | null;
  shippedAt: Date | null;
  deliveredAt: Date | null;
  cancelledAt: Date | null;
  refundedAt: Date | null;
  items: OrderItemRecord[];
  history: StatusChangeRecord[];
}

export interface OrderSummaryRecord {
  id: number;
  orderNumber: string;
  userId: number;
  customerEmail: string;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  totalMinor: number;
  currency: string;
  itemCount: number;
  createdAt: Date;
}

export interface OrderStats {
  byStatus: Record<OrderStatus, number>;
  totalOrders: number;
  revenueMinor: number;
  revenueOrders: number;
  averageOrderValueMinor: number;
  ordersToday: number;
  ordersThisMonth: number;
  from: Date | null;
  to: Date | null;
  currency: string;
}

/** An order as priced and numbered, before it is written. */
export interface NewOrderRecord extends Pick<OrderRecord, NewOrderFields> {
  orderNumber: string;
  /** defaults to now */
  createdAt?: Date;
  items: Array<Omit<OrderItemRecord, 'id'>>;
}

type NewOrderFields = 'userId' | 'customerEmail' | 'customerPhone' | 'currency' | 'subtotalMinor' | 'taxMinor' | 'shippingMinor' | 'discountMinor' | 'totalMinor' | 'shipping' | 'billing' | 'notes';
