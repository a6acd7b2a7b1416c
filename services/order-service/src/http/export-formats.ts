// An exported order as one CSV record (RFC 4180: CRLF, fields with a quote, comma, CR or LF quoted,
// quotes doubled) or one NDJSON line; values as exportValuesOf gives them (amounts as decimal strings).
import { EXPORT_COLUMNS, exportValuesOf, type ExportValue } from '../orders/export-orders.js';
import type { OrderExportRecord } from '../orders/search-ports.js';

function csvField(value: ExportValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${EXPORT_COLUMNS.join(',')}\r\n`;
}

export function csvRecord(order: OrderExportRecord): string {
  return `${exportValuesOf(order).map(csvField).join(',')}\r\n`;
}

export function ndjsonRecord(order: OrderExportRecord): string {
  const values = exportValuesOf(order);
  return `${JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((name, i) => [name, values[i]])))}\n`;
}
