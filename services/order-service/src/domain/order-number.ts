// Order numbers: ORD-YYYYMMDD-XXXXXXXX (UTC date, 8 random characters). Uniqueness is enforced
// by the database's unique index; a collision is retried by the caller.

import { randomInt } from 'node:crypto';

// no 0/O, 1/I/L: readable over the phone
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

export const ORDER_NUMBER_PATTERN = /^ORD-\d{8}-[2-9A-HJKMNP-Z]{8}$/;

export function newOrderNumber(now: Date): string {
  const date = now.toISOString().slice(0, 10).replaceAll('-', '');
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `ORD-${date}-${suffix}`;
}
