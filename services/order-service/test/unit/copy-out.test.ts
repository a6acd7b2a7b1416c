// COPY writes CSV records ended by LF; crlfRecords turns the record ends, and only those, into CRLF:
// a line break inside a quoted field is data and stays as it is.
import fc from 'fast-check';
import { crlfRecords } from '../../src/data/copy-out.js';

/** A field as COPY's CSV writes it: quoted when it holds a quote, comma, CR or LF, quotes doubled. */
const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
const csv = (records: string[][], end: string) => records.map((r) => r.map(field).join(',') + end).join('');

test('every record ends in CRLF, and the fields are unchanged', () => {
  const text = fc.string({ unit: fc.constantFrom('a', '"', ',', '\r', '\n', 'ß', '📦', ' '), maxLength: 8 });
  fc.assert(
    fc.property(fc.array(fc.array(text, { minLength: 1, maxLength: 4 }), { maxLength: 20 }), (records) => {
      const out = crlfRecords(Buffer.from(csv(records, '\n')));
      expect(out.toString()).toBe(csv(records, '\r\n'));
    }),
    { numRuns: 500 },
  );
});

test('a quoted line break stays LF; an empty batch stays empty', () => {
  expect(crlfRecords(Buffer.from('1,"a\nb"\n2,c\n')).toString()).toBe('1,"a\nb"\r\n2,c\r\n');
  expect(crlfRecords(Buffer.alloc(0))).toHaveLength(0);
});
