import { applyRateBasisPoints, toBasisPoints, toDecimalString, toMajorNumber, toMinorUnits } from '../../src/domain/money.js';

describe('money', () => {
  test('decimal amounts become exact minor units', () => {
    expect(toMinorUnits(19.99)).toBe(1999);
    expect(toMinorUnits('0.1')).toBe(10);
    expect(toMinorUnits(0.29)).toBe(29); // 0.29 * 100 is 28.999999999999996 in floats
    expect(toMinorUnits(1.005)).toBe(100); // a third decimal is cut, never rounded through a float
    expect(toMinorUnits(-5)).toBe(-500);
  });

  test('non-amounts are refused', () => {
    expect(() => toMinorUnits('abc')).toThrow(RangeError);
    expect(() => toMinorUnits(Number.NaN)).toThrow(RangeError);
  });

  test('minor units serialise with two decimals', () => {
    expect(toDecimalString(1999)).toBe('19.99');
    expect(toDecimalString(5)).toBe('0.05');
    expect(toDecimalString(-250)).toBe('-2.50');
    expect(toMajorNumber(4398)).toBe(43.98);
  });

  test('the decimal strings orders carry: two decimals, zero and large values exact, never "-0.00"', () => {
    expect(toDecimalString(10790)).toBe('107.90');
    expect(toDecimalString(29)).toBe('0.29');
    expect(toDecimalString(0)).toBe('0.00');
    expect(toDecimalString(-0)).toBe('0.00');
    expect(toDecimalString(-5)).toBe('-0.05');
    expect(toDecimalString(100)).toBe('1.00');
    expect(toDecimalString(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
    expect(toDecimalString(-Number.MAX_SAFE_INTEGER)).toBe('-90071992547409.91');
    expect(toDecimalString(999_999_999_999)).toBe('9999999999.99'); // the largest NUMERIC(12,2)
    for (const minor of [1, 99, 101, 12345, 9_007_199_254_740_900, -1, -101]) {
      const text = toDecimalString(minor);
      expect(text).toMatch(/^-?\d+\.\d{2}$/);
      expect(toMinorUnits(text)).toBe(minor); // the string is the exact amount, back and forth
    }
  });

  test('only integer minor units serialise', () => {
    expect(() => toDecimalString(1.5)).toThrow(RangeError);
    expect(() => toDecimalString(Number.NaN)).toThrow(RangeError);
    expect(() => toDecimalString(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  });

  test('rates apply on integers, rounding half away from zero', () => {
    expect(toBasisPoints('0.10')).toBe(1000);
    expect(toBasisPoints(0.0825)).toBe(825);
    expect(applyRateBasisPoints(3998, 1000)).toBe(400); // 399.8 → 400
    expect(applyRateBasisPoints(1995, 1000)).toBe(200); // 199.5 → 200
    expect(applyRateBasisPoints(1994, 1000)).toBe(199);
  });
});
