// The rows of the three order tables as pg returns them (the tables come from migrations/). BIGINT
// columns arrive as strings, or as numbers inside json_agg; timestamps as Date, or as text inside
// json_agg: readers convert with toInt and date().

type BigInt = string | number;
type Timestamp = Date | string;

export interface OrderRow {
  id: BigInt;
  order_number: string;
  user_id: BigInt;
  customer_email: string;
  customer_phone: string | null;
  status: string;
  payment_status: string;
  currency: string;
  subtotal_cents: BigInt;
  tax_cents: BigInt;
  shipping_cents: BigInt;
  discount_cents: BigInt;
  total_cents: BigInt;
  shipping_address: string;
  shipping_city: string;
  shipping_state: string | null;
  shipping_postal_code: string;
  shipping_country: string;
  billing_address: object | null;
  notes: string | null;
  tracking_number: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  confirmed_at: Timestamp | null;
  processing_at: Timestamp | null;
  shipped_at: Timestamp | null;
  delivered_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  refunded_at: Timestamp | null;
}

export interface OrderItemRow {
  id: BigInt;
  order_id: BigInt;
  product_id: BigInt;
  sku: string | null;
  product_name: string;
  product_image: string | null;
  quantity: number;
  unit_price_cents: BigInt;
  total_price_cents: BigInt;
}

export interface OrderStatusHistoryRow {
  id: BigInt;
  order_id: BigInt;
  from_status: string | null;
  to_status: string;
  actor_id: BigInt | null;
  actor_role: string | null;
  reason: string | null;
  created_at: Timestamp;
}
