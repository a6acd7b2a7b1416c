// Money as integer minor units (cents). Decimal strings and JSON numbers are converted
// exactly at the edges; arithmetic never happens on floats.

export type Minor = number & { readonly __minor: unique symbol };

const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,2})\d*)?$/;

/** 19.99 or "19.99" → 1999. Uses the shortest decimal text of the number, so no float drift. */
export function toMinorUnits(amount: number | string): Minor {
  const text = typeof amount === 'number' ? numberToPlainString(amount) : amount.trim();
  const m = DECIMAL.exec(text);
  if (!m) throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  const [, sign, whole, frac = ''] = m;
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) throw new RangeError('amount out of range');
  return (sign ? -cents : cents) as Minor;
}

function numberToPlainString(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  // toString gives the shortest round-trip text; avoid exponent form for tiny/huge values
  const s = n.toString();
  return s.includes('e') ? n.toFixed(2) : s;
}

/** 1999 → 19.99 as a JSON number (statistics: the admin dashboard calls toFixed on it). */
export function toMajorNumber(minor: number): number {
  return Number(toDecimalString(minor));
}

/**
 * 1999 → "19.99", 0 → "0.00", -5 → "-0.05": exactly two decimals, never "-0.00" (how orders and
 * items carry amounts in JSON, and what NUMERIC(12,2) columns take and give).
 */
export function toDecimalString(minor: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not integer minor units: ${minor}`);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const cents = abs % 100;
  // (abs - cents) / 100 is exact for every safe integer; abs / 100 would go through a fraction
  return `${sign}${(abs - cents) / 100}.${String(cents).padStart(2, '0')}`;
}

/** rate × amount, rounded half away from zero, computed on integers (rate given in basis points). */
export function applyRateBasisPoints(minor: number, basisPoints: number): Minor {
  const product = minor * basisPoints;
  const q = Math.trunc(product / 10000);
  const r = product % 10000;
  return (Math.abs(r) * 2 >= 10000 ? q + Math.sign(product) : q) as Minor;
}

/** "0.10" or 0.1 → 1000 basis points, exactly. */
export function toBasisPoints(rate: number | string): number {
  const text = typeof rate === 'number' ? numberToPlainString(rate) : rate.trim();
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(text);
  if (!m) throw new RangeError(`not a rate: ${JSON.stringify(rate)}`);
  return Number(m[1]) * 10000 + Number((m[2] ?? '').padEnd(4, '0'));
}
