// Downloads: every table on the site is also written as CSV and JSON, with full-precision numbers
// (the page rounds them), one row per row of the page's table. The JSON is
// {table, caption, columns, rows: [{column: value}]}; the CSV has the same columns as its header.
import { z } from 'zod';

export const CellValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type CellValue = z.infer<typeof CellValueSchema>;

export const TableExportSchema = z.strictObject({
  table: z.string(),
  caption: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), CellValueSchema)),
});
export type TableExport = z.infer<typeof TableExportSchema>;

/** Links to a table's two files, relative to the page that shows it. */
export interface Downloads {
  csv: string;
  json: string;
}

/** A CSV field: RFC 4180 quoting, and a text cell that a spreadsheet would run as a formula
 *  (=, +, -, @ first, not a number) is prefixed with a quote. */
export function csvField(v: CellValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s) && !/^[-+]?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(t: TableExport): string {
  const lines = [t.columns.map(csvField).join(','), ...t.rows.map((r) => t.columns.map((c) => csvField(r[c])).join(','))];
  return lines.join('\r\n') + '\r\n';
}

export function toJson(t: TableExport): string {
  return JSON.stringify(TableExportSchema.parse(t), null, 1) + '\n';
}

/** A file name part from any id (method ids may hold dots; never a path separator). */
export const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');
