import {
  ORDER_STATUSES,
  allowedTransitions,
  canTransition,
  sourcesFor,
  timestampColumnFor,
  type OrderStatus,
} from '../../src/domain/order-lifecycle.js';

// the table of ARCHITECTURE.md, written out pair by pair
const ALLOWED = new Set([
  'pending>confirmed',
  'confirmed>processing',
  'processing>shipped',
  'shipped>delivered',
  'pending>cancelled',
  'confirmed>cancelled',
  'processing>cancelled',
  'delivered>refunded',
]);

describe('order lifecycle', () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as [OrderStatus, OrderStatus]));

  test.each(pairs)('%s → %s follows the transition table (unpaid)', (from, to) => {
    expect(canTransition(from, to, 'pending')).toBe(ALLOWED.has(`${from}>${to}`));
  });

  test('a cancelled order can be refunded only when it was paid', () => {
    expect(canTransition('cancelled', 'refunded', 'paid')).toBe(true);
    expect(canTransition('cancelled', 'refunded', 'pending')).toBe(false);
    expect(allowedTransitions('cancelled', 'paid')).toEqual(['refunded']);
    expect(allowedTransitions('cancelled', 'failed')).toEqual([]);
  });

  test('nothing leaves refunded; delivered only goes to refunded', () => {
    expect(allowedTransitions('refunded', 'paid')).toEqual([]);
    expect(allowedTransitions('delivered', 'paid')).toEqual(['refunded']);
  });

  test('shoppers may cancel only pending or confirmed orders, and change nothing else', () => {
    expect(sourcesFor('cancelled', 'user')).toEqual(['pending', 'confirmed']);
    expect(sourcesFor('cancelled', 'admin')).toEqual(['pending', 'confirmed', 'processing']);
    expect(sourcesFor('shipped', 'user')).toEqual([]);
  });

  test('each change stamps its own timestamp', () => {
    expect(timestampColumnFor('confirmed')).toBe('confirmed_at');
    expect(timestampColumnFor('shipped')).toBe('shipped_at');
    expect(timestampColumnFor('cancelled')).toBe('cancelled_at');
    expect(timestampColumnFor('pending')).toBeNull();
  });
});
