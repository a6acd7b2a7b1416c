// What the order use cases need from the other services: src/peers/ implements these over HTTP;
// tests and development pass the same clients pointed at the stand-ins in test/support/.

/** Who is calling, taken from the verified token (CONTRACTS.md §2). */
export interface Actor {
  userId: number;
  email: string;
  role: 'user' | 'admin';
}

/** Per-request context forwarded to peers. */
export interface PeerContext {
  /** the caller's `Authorization: Bearer …` header, forwarded as is */
  authorization?: string;
  requestId?: string;
  /** the request's W3C traceparent, kept with the events it causes (a batch's calls run in its first member's trace) */
  traceparent?: string;
}

export interface CatalogProduct {
  id: number;
  sku: string;
  title: string;
  /** price in integer minor units, converted exactly from the product service's number */
  priceMinor: number;
  currency: string;
  image: string | null;
  stock: number | null;
  isActive: boolean;
}

export interface Catalog {
  /** null when the product service answers 404 (missing or inactive) */
  getProduct(id: number, ctx: PeerContext): Promise<CatalogProduct | null>;
  /** PATCH /products/{id}/stock — sets an absolute value */
  setStock(id: number, stock: number, ctx: PeerContext): Promise<void>;
}

export interface CartLine {
  productId: number;
  quantity: number;
}

export interface Cart {
  /** the caller's cart lines; [] when there is no cart. Prices in the cart are ignored. */
  getLines(userId: number, ctx: PeerContext): Promise<CartLine[]>;
  /** DELETE /cart with the shopper's token; a 404 (no cart) counts as cleared */
  clear(ctx: PeerContext): Promise<void>;
}

/** Where the caller's account stands now, as the user service sees it (CONTRACTS.md §4). */
export interface AccountStanding {
  /** active, blocked, suspended, pending_verification; null when a 403 did not say which */
  status: string | null;
  mayBuy: boolean;
}

export interface Accounts {
  /** GET /auth/me with the caller's own token; Unauthorized for a 401, DependencyUnavailable when it cannot tell */
  standingOf(ctx: PeerContext): Promise<AccountStanding>;
}
