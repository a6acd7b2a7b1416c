import { ORDER_NUMBER_PATTERN, newOrderNumber } from '../../src/domain/order-number.js';
import { computeTotals } from '../../src/domain/totals.js';

const pricing = { taxRateBasisPoints: 1000, shippingFlatMinor: 1000, freeShippingThresholdMinor: 10000 };

describe('order totals', () => {
  test('below the threshold: flat shipping, 10% tax on the subtotal', () => {
    expect(computeTotals([{ unitPriceMinor: 1999, quantity: 2 }], pricing)).toEqual({
      subtotal: 3998,
      tax: 400,
      shipping: 1000,
      discount: 0,
      total: 5398,
    });
  });

  test('an order of exactly the threshold ships free', () => {
    expect(computeTotals([{ unitPriceMinor: 5000, quantity: 2 }], pricing).shipping).toBe(0);
    expect(computeTotals([{ unitPriceMinor: 9999, quantity: 1 }], pricing).shipping).toBe(1000);
  });

  test('amounts that trip floats stay exact', () => {
    // 0.29 × 3 = 0.8699999999999999 in floats
    const t = computeTotals([{ unitPriceMinor: 29, quantity: 3 }, { unitPriceMinor: 10, quantity: 1 }], pricing);
    expect(t.subtotal).toBe(97);
    expect(t.tax).toBe(10); // 9.7 → 10
    expect(t.total).toBe(97 + 10 + 1000);
  });

  test('tax rounds half away from zero once per order', () => {
    expect(computeTotals([{ unitPriceMinor: 5, quantity: 1 }], pricing).tax).toBe(1); // 0.5 → 1
    expect(computeTotals([{ unitPriceMinor: 4, quantity: 1 }], pricing).tax).toBe(0);
  });
});

describe('order numbers', () => {
  test('ORD-YYYYMMDD-XXXXXXXX with the UTC date', () => {
    const n = newOrderNumber(new Date('2026-11-25T23:59:59Z'));
    expect(n).toMatch(ORDER_NUMBER_PATTERN);
    expect(n.startsWith('ORD-20261125-')).toBe(true);
  });

  test('a thousand numbers do not repeat', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => newOrderNumber(new Date())));
    expect(seen.size).toBe(1000);
  });
});
