// What the HTTP layer attaches to each Express request as it passes through the middleware.
import type { Actor } from '../orders/ports.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** accepted from X-Request-ID or minted; echoed on the response */
      requestId: string;
      /** the OpenAPI path template the request matched, e.g. /orders/{order_id} (metrics label) */
      routeTemplate?: string;
      /** the verified caller, once the security handler has accepted the token */
      actor?: Actor;
      /** why express-jwt rejected the presented token; turned into a 401 only where auth is required */
      tokenFailure?: Error;
    }
  }
}

export {};
