// Before a checkout: may the caller's account still buy? Blocking a shopper revokes no token
// (CONTRACTS.md §4), so the user service is asked, and its answer kept briefly per token.
// Reads never come here.

import { createHash } from 'node:crypto';
import { AccountBlocked, DependencyUnavailable, Unauthorized } from '../domain/errors.js';
import type { Accounts, Actor, PeerContext } from './ports.js';

export type WhenUnavailable = 'allow' | 'refuse';

export interface AccountGateOptions {
  accounts: Accounts;
  /** how long an answer is reused for the same token (0: ask every time) */
  cacheSeconds: number;
  /** what a checkout gets while the user service cannot answer */
  whenUnavailable: WhenUnavailable;
  /** answers kept at most (oldest dropped first) */
  maxEntries?: number;
  now?: () => number;
  log?: { warn(obj: object, msg?: string): void };
  /** result = active | refused | unauthenticated | unavailable; source = user_service | cache */
  checks?: { inc(labels: { result: string; source: string }): void };
  /** decision = allowed | refused */
  unavailable?: { inc(labels: { decision: string }): void };
}

export interface AccountGate {
  /** resolves when the caller may check out; throws AccountBlocked (403), Unauthorized (401) or DependencyUnavailable (503) */
  admit(actor: Actor, ctx: PeerContext): Promise<void>;
}

type Verdict = { kind: 'active' } | { kind: 'refused'; status: string | null } | { kind: 'unauthenticated' };

export function createAccountGate(options: AccountGateOptions): AccountGate {
  const now = options.now ?? Date.now;
  const ttlMs = options.cacheSeconds * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  // keyed by a hash of the token: the token itself is never kept beside its answer, nor logged
  const answers = new Map<string, { verdict: Verdict; expiresAt: number }>();
  const asking = new Map<string, Promise<Verdict | null>>();

  function remember(key: string, verdict: Verdict): void {
    if (ttlMs <= 0) return;
    answers.delete(key);
    // one TTL for all: the first entry is the one that expires first
    while (answers.size >= maxEntries) answers.delete(answers.keys().next().value!);
    answers.set(key, { verdict, expiresAt: now() + ttlMs });
  }

  /** The user service's verdict, or null when it cannot give one. */
  async function ask(key: string, actor: Actor, ctx: PeerContext): Promise<Verdict | null> {
    let verdict: Verdict;
    try {
      const standing = await options.accounts.standingOf(ctx);
      verdict = standing.mayBuy ? { kind: 'active' } : { kind: 'refused', status: standing.status };
    } catch (err) {
      if (err instanceof Unauthorized) verdict = { kind: 'unauthenticated' };
      else if (err instanceof DependencyUnavailable) {
        const decision = options.whenUnavailable === 'allow' ? 'allowed' : 'refused';
        options.unavailable?.inc({ decision });
        options.log?.warn({ dependency: 'user-service', user_id: actor.userId, token_hash: key.slice(0, 12), decision }, 'account check unavailable');
        return null;
      } else throw err;
    }
    remember(key, verdict);
    return verdict;
  }

  return {
    async admit(actor, ctx) {
      const key = createHash('sha256').update(ctx.authorization ?? '').digest('hex');
      const cached = answers.get(key);
      let verdict: Verdict | null;
      if (cached && cached.expiresAt > now()) {
        verdict = cached.verdict;
        options.checks?.inc({ result: verdict.kind, source: 'cache' });
      } else {
        if (cached) answers.delete(key);
        // a double-clicked checkout asks once
        let pending = asking.get(key);
        if (!pending) {
          pending = ask(key, actor, ctx).finally(() => asking.delete(key));
          asking.set(key, pending);
        }
        verdict = await pending;
        options.checks?.inc({ result: verdict?.kind ?? 'unavailable', source: 'user_service' });
      }
      if (verdict === null) {
        if (options.whenUnavailable === 'allow') return;
        throw new DependencyUnavailable('user-service', 'Your account cannot be checked right now; please retry shortly');
      }
      if (verdict.kind === 'refused') throw new AccountBlocked(verdict.status);
      if (verdict.kind === 'unauthenticated') throw new Unauthorized('The user service does not recognise this account');
    },
  };
}
