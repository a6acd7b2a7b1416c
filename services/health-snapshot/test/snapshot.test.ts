// The contract both processes import: the sidecar's buildSnapshot writes it, the service's reader
// reads it, and each is checked against these rules here once.
import { CRITICAL_DEPENDENCY, DEPENDENCIES, isStale, kindOf, RESULTS_PATH, STALE_AFTER_INTERVALS, unknownResult } from '../src/index.js';

describe('the health snapshot contract', () => {
  test('six dependencies, PostgreSQL the only critical one, each of its kind', () => {
    expect(DEPENDENCIES).toEqual(['postgres', 'redis', 'user-service', 'cart-service', 'product-service', 'search-service']);
    expect(CRITICAL_DEPENDENCY).toBe('postgres');
    expect(DEPENDENCIES.map(kindOf)).toEqual(['database', 'cache', 'peer', 'peer', 'peer', 'peer']);
    expect(RESULTS_PATH).toBe('/v1/results');
  });

  test('a result is stale with no probe yet, or none for more than three intervals', () => {
    expect(STALE_AFTER_INTERVALS).toBe(3);
    expect(isStale(null, 1000, 0)).toBe(true);
    expect(isStale(10_000, 1000, 13_000)).toBe(false);
    expect(isStale(10_000, 1000, 13_001)).toBe(true);
  });

  test('a dependency nobody reported is unknown and stale, never connected', () => {
    expect(unknownResult('postgres')).toMatchObject({ status: 'unknown', kind: 'database', critical: true, stale: true, last_probe_at: null });
    expect(unknownResult('cart-service')).toMatchObject({ status: 'unknown', kind: 'peer', critical: false, stale: true });
  });
});
