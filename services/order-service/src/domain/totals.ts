// Order totals in integer minor units: subtotal, tax, shipping, discount, total.

import { applyRateBasisPoints } from './money.js';

export interface Pricing {
  taxRateBasisPoints: number;
  shippingFlatMinor: number;
  freeShippingThresholdMinor: number;
}

export interface PricedLine {
  unitPriceMinor: number;
  quantity: number;
}

export interface Totals {
  subtotal: number;
  tax: number;
  shipping: number;
  discount: number;
  total: number;
}

export function lineTotal(line: PricedLine): number {
  const t = line.unitPriceMinor * line.quantity;
  if (!Number.isSafeInteger(t)) throw new RangeError('line total out of range');
  return t;
}

/**
 * Tax is computed once on the subtotal (not per line), rounded half away from zero to the cent.
 * Shipping is flat below the free-shipping threshold; an order of exactly the threshold ships free.
 */
export function computeTotals(lines: readonly PricedLine[], pricing: Pricing): Totals {
  const subtotal = lines.reduce((sum, l) => sum + lineTotal(l), 0);
  const discount = 0;
  const tax = applyRateBasisPoints(subtotal - discount, pricing.taxRateBasisPoints);
  const shipping = subtotal >= pricing.freeShippingThresholdMinor ? 0 : pricing.shippingFlatMinor;
  return { subtotal, tax, shipping, discount, total: subtotal - discount + tax + shipping };
}
