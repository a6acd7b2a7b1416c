// The user service's GET /auth/me as the Accounts port (CONTRACTS.md §4): where the token's account
// stands now. A 403 is its answer for blocked and suspended accounts; a 401 means it knows no such user.

import { DependencyUnavailable, Unauthorized } from '../domain/errors.js';
import type { Accounts, AccountStanding, PeerContext } from '../orders/ports.js';
import { createPeer, type PeerOptions } from './peer-http.js';

export function createUserClient(options: PeerOptions): Accounts & { breakerState: string; shutdown(): void } {
  const peer = createPeer('user-service', options);

  return {
    async standingOf(ctx: PeerContext): Promise<AccountStanding> {
      const res = await peer.request({ method: 'GET', path: '/auth/me', ctx, idempotent: true });
      if (res.status === 403) return { status: null, mayBuy: false };
      if (res.status === 401) throw new Unauthorized('The user service does not recognise this account');
      if (res.status !== 200) throw new DependencyUnavailable('user-service', 'The user service sent an unexpected answer');
      let body: { status?: unknown };
      try {
        body = JSON.parse(res.text) as { status?: unknown };
      } catch {
        throw new DependencyUnavailable('user-service', 'The user service sent an unreadable answer');
      }
      if (typeof body.status !== 'string') throw new DependencyUnavailable('user-service', 'The user service sent no account status');
      return { status: body.status, mayBuy: body.status === 'active' };
    },

    get breakerState() {
      return peer.breakerState;
    },
    shutdown: peer.shutdown,
  };
}
