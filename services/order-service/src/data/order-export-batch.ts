// One batch of the admin export: orders in [from, to), optionally of one status, oldest first,
// after a keyset position, rendered by PostgreSQL as CSV records or NDJSON lines: a range ending
// at a known position by COPY (its bytes as they come), otherwise as one text value; one
// statement, so nothing holds a session between batches. Building an object per row in JS and
// formatting it there cost several times as much as the query.

import { QueryTypes } from 'sequelize';
import { EXPORT_COLUMNS, type ExportColumn, type ExportFormat, type KeysetPosition, type OrderSearchPort } from '../orders/search-ports.js';
import { copyOut, withLiterals, type CopyValue } from './copy-out.js';
import { toInt, type Database } from './database.js';
import { createdKeyOf } from './order-filters.js';

/** The marker the export's statements carry (tests find them in pg_stat_activity by it). */
export const EXPORT_QUERY_MARKER = '/* order-export */';

type Kind = 'integer' | 'decimal' | 'instant' | 'text' | 'optional text';

/** Each column's value on orders `o`: an integer, cents as a decimal, an instant, or text (free text may need quoting). */
const VALUES: Record<ExportColumn, [string, Kind]> = {
  id: ['o.id', 'integer'],
  order_number: ['o.order_number', 'text'],
  created_at: ['o.created_at', 'instant'],
  status: ['o.status', 'text'],
  payment_status: ['o.payment_status', 'text'],
  user_id: ['o.user_id', 'integer'],
  customer_email: ['o.customer_email', 'text'],
  customer_phone: ['o.customer_phone', 'optional text'],
  currency: ['o.currency', 'text'],
  subtotal: ['o.subtotal_cents', 'decimal'],
  tax_amount: ['o.tax_cents', 'decimal'],
  shipping_amount: ['o.shipping_cents', 'decimal'],
  discount_amount: ['o.discount_cents', 'decimal'],
  total_amount: ['o.total_cents', 'decimal'],
  shipping_address: ['o.shipping_address', 'text'],
  shipping_city: ['o.shipping_city', 'text'],
  shipping_state: ['o.shipping_state', 'optional text'],
  shipping_postal_code: ['o.shipping_postal_code', 'text'],
  shipping_country: ['o.shipping_country', 'text'],
  tracking_number: ['o.tracking_number', 'optional text'],
  notes: ['o.notes', 'optional text'],
  item_count: ['coalesce(c.item_count, 0)', 'integer'],
};

// the orders' columns the values read (c.item_count comes from the items)
const BATCH_COLUMNS = [...new Set(Object.values(VALUES).flatMap(([sql]) => /^o\.\w+$/.exec(sql) ?? []))].join(', ');

/** The value as JSON would carry it: integers as numbers, the rest as text (or null). */
function jsonValue([sql, kind]: [string, Kind]): string {
  // exact: a numeric times 0.01 has scale 2 (1999 → 19.99, 5 → 0.05, 0 → 0.00); cheaper than text arithmetic on the cents
  if (kind === 'decimal') return `(${sql}::numeric * 0.01)::text`;
  if (kind === 'instant') return `to_char(${sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return sql;
}

function csvField(column: ExportColumn): string {
  const [sql, kind] = VALUES[column];
  if (kind === 'integer') return `${sql}::text`;
  if (kind === 'decimal' || kind === 'instant') return jsonValue(VALUES[column]);
  // strpos is cheaper here than a regular expression; a null is an empty field
  const quoted = `CASE WHEN strpos(${sql}, '"') > 0 OR strpos(${sql}, ',') > 0 OR strpos(${sql}, E'\\r') > 0 OR strpos(${sql}, E'\\n') > 0
                       THEN '"' || replace(${sql}, '"', '""') || '"' ELSE ${sql} END`;
  return kind === 'optional text' ? `coalesce(${quoted}, '')` : quoted;
}

/** The column as COPY's CSV writes it: text as it is (COPY quotes what needs it), an empty text as null, so as an empty field. */
function copyField(column: ExportColumn): string {
  const [sql, kind] = VALUES[column];
  return kind === 'text' || kind === 'optional text' ? `nullif(${sql}, '')` : jsonValue(VALUES[column]);
}

const LINES: Record<ExportFormat, { line: string; lateral: string }> = {
  csv: { line: `${EXPORT_COLUMNS.map(csvField).join(" || ',' || ")} || E'\\r\\n'`, lateral: '' },
  // row_to_json of a named row: compact, keys in column order, escaped as JSON.stringify escapes
  ndjson: {
    line: `row_to_json(r)::text || E'\\n'`,
    lateral: `CROSS JOIN LATERAL (SELECT ${EXPORT_COLUMNS.map((c) => `${jsonValue(VALUES[c])} AS ${c}`).join(', ')}) r`,
  },
};

/**
 * What COPY writes per format: the CSV fields (record ends then made CRLF), or the NDJSON line as
 * the one field of a CSV whose quote and delimiter JSON text never holds raw (it escapes control
 * characters), so the line comes as it is, LF-ended.
 */
const COPIES: Record<ExportFormat, { select: string; lateral: string; options: string; crlf: boolean }> = {
  csv: { select: EXPORT_COLUMNS.map(copyField).join(', '), lateral: '', options: 'FORMAT csv', crlf: true },
  ndjson: { select: 'row_to_json(r)::text', lateral: LINES.ndjson.lateral, options: "FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01'", crlf: false },
};

/** The conditions on orders `o` of a range after and up to keyset positions, and their values. */
function rangeConditions(args: { from: Date; to: Date; status?: string; after: KeysetPosition | null; until?: KeysetPosition | null }) {
  const conds = ['o.created_at >= $from', 'o.created_at < $to'];
  const bind: Record<string, unknown> = { from: args.from, to: args.to };
  if (args.status !== undefined) {
    conds.push('o.status = $status');
    bind.status = args.status;
  }
  // the plain created_at bound beside each row comparison is what the index scan starts or stops at
  if (args.after) {
    conds.push('o.created_at >= $afterKey::timestamptz', '(o.created_at, o.id) > ($afterKey::timestamptz, $afterId)');
    Object.assign(bind, { afterKey: args.after.key, afterId: args.after.id });
  }
  if (args.until) {
    conds.push('o.created_at <= $untilKey::timestamptz', '(o.created_at, o.id) <= ($untilKey::timestamptz, $untilId)');
    Object.assign(bind, { untilKey: args.until.key, untilId: args.until.id });
  }
  // the items of these orders, by their order's created_at (an order tied with a bound but outside it finds no match in the join)
  const items = [args.after ? 'i.order_created_at >= $afterKey::timestamptz' : 'i.order_created_at >= $from', args.until ? 'i.order_created_at <= $untilKey::timestamptz' : 'i.order_created_at < $to'];
  return { where: conds.join(' AND '), items: items.join(' AND '), bind };
}

/**
 * The batch's orders `o` in order, each with its item count from `c`: one range scan of the items
 * by their order's created_at, in the same order, so the merge join needs no sort (as CTEs, the
 * orders were materialised and sorted again).
 */
const batchRows = (where: string, items: string) => `(SELECT ${BATCH_COLUMNS} FROM orders o WHERE ${where} ORDER BY o.created_at, o.id LIMIT $limit) o
    LEFT JOIN (SELECT i.order_created_at, i.order_id, count(*) AS item_count FROM order_items i WHERE ${items} GROUP BY 1, 2) c
      ON c.order_created_at = o.created_at AND c.order_id = o.id`;

type BatchArgs = Parameters<OrderSearchPort['exportBatch']>[0];

export function createExportBatch(db: Database): Pick<OrderSearchPort, 'exportBatch' | 'exportBounds'> {
  async function textBatch(args: BatchArgs) {
    const { where, items, bind } = rangeConditions(args);
    const { line, lateral } = LINES[args.format];
    const [row] = await db.query<{ rows: string; text: string | null; last_key: string | null; last_id: string | null }>(
      `${EXPORT_QUERY_MARKER}
       SELECT count(*) AS rows, string_agg(${line}, '' ORDER BY o.created_at, o.id) AS text,
              ${createdKeyOf('max(o.created_at)')} AS last_key, -- the last record's: they come in created_at order
              (array_agg(o.id ORDER BY o.created_at DESC, o.id DESC))[1] AS last_id
         FROM ${batchRows(where, items)} ${lateral}`,
      { bind: { ...bind, limit: args.limit }, type: QueryTypes.SELECT },
    );
    const last = row!.last_key === null || row!.last_id === null ? null : { key: row!.last_key, id: toInt(row!.last_id) };
    return { rows: toInt(row!.rows), data: row!.text ?? '', last };
  }

  /** A range by COPY. COPY returns no row, so a full batch (orders committed into the range since it was cut) is read again as text, which carries its last position. */
  async function copiedBatch(args: BatchArgs) {
    const { where, items, bind } = rangeConditions(args);
    const { select, lateral, options, crlf } = COPIES[args.format];
    const values = { ...(bind as Record<string, CopyValue>), limit: args.limit };
    const copied = await copyOut(
      db,
      (client) => withLiterals(client, `${EXPORT_QUERY_MARKER} COPY (SELECT ${select} FROM ${batchRows(where, items)} ${lateral} ORDER BY o.created_at, o.id) TO STDOUT (${options})`, values),
      { crlf },
    );
    return copied.rows < args.limit ? { rows: copied.rows, data: copied.data, last: null } : textBatch(args);
  }

  const exportBatch = (args: BatchArgs) => (args.until ? copiedBatch(args) : textBatch(args));

  async function exportBounds(args: Parameters<OrderSearchPort['exportBounds']>[0]) {
    const { where, bind } = rangeConditions(args);
    // off the created_at index alone (status is in it): a fraction of a batch's cost
    const rows = await db.query<{ key: string; id: string }>(
      `${EXPORT_QUERY_MARKER} SELECT ${createdKeyOf('x.created_at')} AS key, x.id FROM (
         SELECT s.created_at, s.id, row_number() OVER (ORDER BY s.created_at, s.id) AS n
           FROM (SELECT o.created_at, o.id FROM orders o WHERE ${where} ORDER BY o.created_at, o.id LIMIT $span) s
       ) x WHERE x.n % $every = 0 ORDER BY x.n`,
      { bind: { ...bind, span: args.every * args.count, every: args.every }, type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({ key: r.key, id: toInt(r.id) }));
  }

  return { exportBatch, exportBounds };
}
