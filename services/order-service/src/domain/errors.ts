// One error type per meaning. The HTTP layer maps each to application/problem+json in one place
// (src/http/problem.ts); nothing here knows about HTTP beyond the suggested status.

export type FieldError = { field: string; message: string };

export class DomainError extends Error {
  /** stable problem type slug, e.g. "not-found" → https://orders.ecommerce.dev/problems/not-found */
  readonly type: string;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  constructor(type: string, status: number, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.name = new.target.name;
    this.type = type;
    this.status = status;
    this.extra = extra;
  }
}

export class ValidationFailed extends DomainError {
  constructor(detail: string, readonly errors: FieldError[] = []) {
    super('validation-failed', 400, detail, { errors });
  }
}

export class Unauthorized extends DomainError {
  constructor(detail = 'A valid bearer token is required') {
    super('unauthorized', 401, detail);
  }
}

export class Forbidden extends DomainError {
  constructor(detail = 'Administrator role required') {
    super('forbidden', 403, detail);
  }
}

/** A valid token whose account may not buy (blocked, suspended, not yet verified): tokens outlive a block. */
export class AccountBlocked extends DomainError {
  constructor(readonly accountStatus: string | null) {
    super(
      'account-blocked',
      403,
      accountStatus && accountStatus !== 'blocked'
        ? `This account is ${accountStatus.replace(/_/g, ' ')} and cannot place orders; contact the administrator`
        : 'This account is blocked and cannot place orders; contact the administrator',
      accountStatus ? { account_status: accountStatus } : {},
    );
  }
}

export class NotFound extends DomainError {
  /**
   * Set when the order exists but belongs to someone else: the caller sees the same 404 as for a
   * missing order, the log gets a warning with these facts (never the response).
   */
  readonly audit: Record<string, unknown> | undefined;
  constructor(detail = 'Order not found', audit?: Record<string, unknown>) {
    super('not-found', 404, detail);
    this.audit = audit;
  }
}

/** The 404 for an order that exists but is not the caller's (logged as a refused access). */
export function notYourOrder(orderId: number): NotFound {
  return new NotFound(undefined, { refusal: 'not_owner', order_id: orderId });
}

export class Conflict extends DomainError {
  constructor(detail: string, extra: Record<string, unknown> = {}) {
    super('conflict', 409, detail, extra);
  }
}

export class InvalidTransition extends DomainError {
  constructor(readonly from: string, readonly to: string) {
    super('invalid-transition', 409, `An order in status '${from}' cannot become '${to}'`, {
      current_status: from,
      requested_status: to,
    });
  }
}

/** Precondition (If-Match / version) did not hold. */
export class PreconditionFailed extends DomainError {
  constructor(detail = 'The order has changed since it was read') {
    super('precondition-failed', 412, detail);
  }
}

/** Well-formed but not processable: unknown product, empty cart, idempotency key reuse. */
export class Unprocessable extends DomainError {
  constructor(type: string, detail: string, extra: Record<string, unknown> = {}) {
    super(type, 422, detail, extra);
  }
}

/** A peer or store needed for this request is down or too slow: 503 with Retry-After. */
export class DependencyUnavailable extends DomainError {
  constructor(readonly dependency: string, detail: string, readonly retryAfterSeconds = 5) {
    super('dependency-unavailable', 503, detail, { dependency });
  }
}
