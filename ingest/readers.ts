/**
 * Reading an uploaded CSV, TSV or SD file as numbered rows, streaming, in
 * bounded memory: the entry both the web process (preview) and the workers
 * (import) use. The formats are csv.ts and sdf.ts; what they share is rows.ts.
 *
 * The promise to the import: every data row of the file comes out exactly
 * once, in order, numbered 1, 2, 3… — either with its fields or as an error
 * row saying why it could not be read. Nothing is dropped or merged without
 * an error row saying so, and the numbering is a function of the file's bytes
 * alone, so a resumed import (`startAfterRow`) continues where it stopped.
 *
 *  - Row numbers count data rows (CSV/TSV: records after the header; SDF:
 *    records). Blank lines and rows whose every cell is empty are not rows
 *    (`stats.blankRows` counts them). `line`/`endLine` are the physical lines.
 *  - A row longer than `maxRowChars` (1,000,000 by default; a 10 MB line, a
 *    quote that is never closed) becomes ONE error row and reading goes on at
 *    the next line (CSV: csv.ts on how, without a second pass over the file).
 *  - Kept raw text is capped at 2,000 characters (`rawTruncated`).
 *  - File-level problems (empty file, header only, no header, not an SD
 *    file, …) are thrown as `ImportFileError` before any row.
 *
 * Totals: `countRows` runs this same reader to the end without keeping rows,
 * so its count is exactly the number of rows `readRows` yields (cheap next to
 * registering them); `stats.bytesRead`/`sizeBytes` give progress without it.
 */
import { openCsvReader } from './csv';
import { DEFAULT_MAX_ROW_CHARS, type ReadOptions, type ReadRow, type ReadStats, type RowReader } from './rows';
import { openSdfReader } from './sdf';
import type { SourceInput, TextEncodingName } from './source';

export { LineSkipper, uniqueColumnNames } from './csv';
export { parseSdfRecord } from './sdf';
export {
  DEFAULT_MAX_ROW_CHARS,
  isErrorRow,
  MAX_COLUMNS,
  RAW_CAP,
  type DataRow,
  type ErrorRow,
  type ReadOptions,
  type ReadRow,
  type ReadStats,
  type RowErrorCode,
  type RowReader
} from './rows';
export { ImportFileError, importErrorCode, type ImportFileErrorCode } from './source';

/**
 * Open a file for reading rows: reads the header (CSV/TSV) or the first
 * records (SDF) and the first data row, so file-level problems are thrown
 * here, before any row.
 */
export async function openReader(input: SourceInput, opts: ReadOptions): Promise<RowReader> {
  const maxRowChars = opts.maxRowChars ?? DEFAULT_MAX_ROW_CHARS;
  return opts.format === 'sdf' ? openSdfReader(input, opts, maxRowChars) : openCsvReader(input, opts, maxRowChars);
}

/**
 * Rows of a file, in order, each exactly once (see the module comment).
 * File-level problems are thrown on the first `next()`, before any row. The
 * generator's return value is the final stats.
 */
export async function* readRows(input: SourceInput, opts: ReadOptions): AsyncGenerator<ReadRow, ReadStats, undefined> {
  const reader = await openReader(input, opts);
  try {
    for await (const row of reader) yield row;
    return reader.stats;
  } finally {
    reader.close();
  }
}

export interface RowScan {
  /** Data rows, error rows included: exactly what `readRows` yields (with no startAfterRow). */
  rows: number;
  errorRows: number;
  blankRows: number;
  lines: number;
  encoding: TextEncodingName;
  /** CSV/TSV: the header. SDF: every data item name seen in the file. */
  columns: string[];
}

/**
 * Read the whole file once without keeping rows: the total for the progress
 * bar, and for SDF every data item name. It runs the same reader, so `rows` is
 * exactly the number of rows the import will see. Cost: one parse of the file
 * (no chemistry, no database), a small fraction of the import.
 */
export async function scanRows(input: SourceInput, opts: Omit<ReadOptions, 'startAfterRow' | 'partial'>): Promise<RowScan> {
  const reader = await openReader(input, { ...opts, startAfterRow: 0 });
  const columns = [...reader.columns];
  const seen = new Set(columns);
  try {
    for await (const row of reader) {
      if (opts.format === 'sdf' && !('error' in row)) {
        for (const k of Object.keys(row.fields)) if (!seen.has(k)) seen.add(k), columns.push(k);
      }
    }
  } finally {
    reader.close();
  }
  const s = reader.stats;
  return { rows: s.rows, errorRows: s.errorRows, blankRows: s.blankRows, lines: s.lines, encoding: s.encoding, columns };
}

/** The number of rows `readRows` will yield for this file (a pre-pass; see `scanRows`). */
export async function countRows(input: SourceInput, opts: Omit<ReadOptions, 'startAfterRow' | 'partial'>): Promise<number> {
  return (await scanRows(input, opts)).rows;
}
