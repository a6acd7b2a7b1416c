// What the order use cases need from the outside world, declared here and implemented below them:
// the peer services (src/peers/), the order tables (src/data/) and the unit of work they share.

export * from './ports/peers.js';
export * from './ports/persistence.js';
export * from './ports/checkout.js';
