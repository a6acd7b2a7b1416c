export { createProductClient } from './product-client.js';
export { createCartClient } from './cart-client.js';
export { createUserClient } from './user-client.js';
export { createPeer, type PeerOptions } from './peer-http.js';
