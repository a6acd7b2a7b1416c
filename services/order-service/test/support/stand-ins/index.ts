// All four peer stand-ins at once (tests and `npm start` in development).

import { startCartStandIn, type CartStandIn } from './cart.js';
import { startProductStandIn, type ProductStandIn } from './product.js';
import { startSearchStandIn, type SearchStandIn } from './search.js';
import { startUserStandIn, type UserStandIn } from './user.js';

export * from './server.js';
export * from './product.js';
export * from './cart.js';
export * from './user.js';
export * from './search.js';

export interface StandIns {
  product: ProductStandIn;
  cart: CartStandIn;
  user: UserStandIn;
  search: SearchStandIn;
  /** the service's and the sidecar's environment for these four (USER_SERVICE_URL …) */
  env: Record<'USER_SERVICE_URL' | 'CART_SERVICE_URL' | 'PRODUCT_SERVICE_URL' | 'SEARCH_SERVICE_URL', string>;
  close(): Promise<void>;
}

export async function startStandIns(opts: {
  secretKey: string;
  ports?: { product?: number; cart?: number; user?: number; search?: number };
}): Promise<StandIns> {
  const [product, cart, user, search] = await Promise.all([
    startProductStandIn({ port: opts.ports?.product }),
    startCartStandIn({ secretKey: opts.secretKey, port: opts.ports?.cart }),
    startUserStandIn({ secretKey: opts.secretKey, port: opts.ports?.user }),
    startSearchStandIn({ port: opts.ports?.search }),
  ]);
  return {
    product,
    cart,
    user,
    search,
    env: { USER_SERVICE_URL: user.url, CART_SERVICE_URL: cart.url, PRODUCT_SERVICE_URL: product.url, SEARCH_SERVICE_URL: search.url },
    close: async () => {
      await Promise.all([product.close(), cart.close(), user.close(), search.close()]);
    },
  };
}
