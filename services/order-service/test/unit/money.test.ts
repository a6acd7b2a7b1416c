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

  test('rates apply on integers, rounding half away from zero', () => {
    expect(toBasisPoints('0.10')).toBe(1000);
    expect(toBasisPoints(0.0825)).toBe(825);
    expect(applyRateBasisPoints(3998, 1000)).toBe(400); // 399.8 → 400
    expect(applyRateBasisPoints(1995, 1000)).toBe(200); // 199.5 → 200
    expect(applyRateBasisPoints(1994, 1000)).toBe(199);
  });
});
