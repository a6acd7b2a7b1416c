// The peer clients the configuration names (product, cart, user), each closed on shutdown; a peer
// that is not configured answers every call with a 503 naming its variable.
import type { Config } from '../config.js';
import { DependencyUnavailable } from '../domain/errors.js';
import type { ServiceMetrics } from '../http/metrics.js';
import type { Log } from '../log.js';
import { createAccountGate, type AccountGate } from '../orders/account-gate.js';
import type { Cart, Catalog } from '../orders/ports.js';
import { createCartClient, createProductClient, createUserClient } from '../peers/index.js';
import type { Closer } from '../shutdown.js';

export interface Peers {
  /** the product service, or undefined when PRODUCT_SERVICE_URL is not set (no stock reconciler then) */
  configuredCatalog: Catalog | undefined;
  catalog: Catalog;
  cart: Cart;
  /** off without USER_SERVICE_URL */
  accountGate: AccountGate | undefined;
}

export function buildPeers(
  config: Config,
  deps: { log: Log; metrics: ServiceMetrics; closer: Closer; catalog?: Catalog; cart?: Cart },
): Peers {
  const options = { timeoutMs: config.peerTimeoutMs, log: deps.log };
  const opened = <T extends { shutdown(): void }>(client: T): T => {
    deps.closer.stopNow(() => client.shutdown());
    return client;
  };
  const productUrl = config.peers.productServiceUrl;
  const cartUrl = config.peers.cartServiceUrl;
  const catalog = deps.catalog ?? (productUrl ? opened(createProductClient({ baseUrl: productUrl, ...options })) : undefined);
  const cart = deps.cart ?? (cartUrl ? opened(createCartClient({ baseUrl: cartUrl, ...options })) : undefined);
  return {
    configuredCatalog: catalog,
    catalog: catalog ?? unconfiguredCatalog(),
    cart: cart ?? unconfiguredCart(),
    accountGate: buildAccountGate(config, deps.log, deps.metrics, opened),
  };
}

function buildAccountGate(config: Config, log: Log, metrics: ServiceMetrics, opened: <T extends { shutdown(): void }>(client: T) => T): AccountGate | undefined {
  const userUrl = config.peers.userServiceUrl;
  if (!userUrl) {
    log.warn('account check off: USER_SERVICE_URL is not set, so blocked accounts are not refused at checkout');
    return undefined;
  }
  return createAccountGate({
    accounts: opened(createUserClient({ baseUrl: userUrl, timeoutMs: config.peerTimeoutMs, log })),
    ...config.accountCheck,
    log,
    checks: metrics.accountChecks,
    unavailable: metrics.accountCheckUnavailable,
  });
}

function unconfiguredCatalog(): Catalog {
  const fail = async (): Promise<never> => {
    throw new DependencyUnavailable('product-service', 'The product service is not configured (PRODUCT_SERVICE_URL)');
  };
  return { getProduct: fail, setStock: fail };
}

function unconfiguredCart(): Cart {
  const fail = async (): Promise<never> => {
    throw new DependencyUnavailable('cart-service', 'The cart service is not configured (CART_SERVICE_URL)');
  };
  return { getLines: fail, clear: fail };
}
