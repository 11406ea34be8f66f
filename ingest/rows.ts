/**
 * What the CSV/TSV reader (csv.ts) and the SDF reader (sdf.ts) share: the row
 * types and options, text helpers, opening the source as a chunk stream, and
 * `rowReader`, which turns a format's records into numbered rows (blank
 * records passed over, `startAfterRow` skipped, a preview's cut-off last
 * record left out, stats kept, the file closed once). The promise the rows
 * keep is in readers.ts.
 */
import {
  openSource,
  toFileError,
  type Compression,
  type CompressionHint,
  type Delimiter,
  type EncodingHint,
  type ExpansionLimits,
  type ImportFormat,
  type Source,
  type SourceInput,
  type TextEncodingName
} from './source';

/** Raw text kept per row (the rest is cut off and `rawTruncated` is set). */
export const RAW_CAP = 2000;
/** Longest row read (characters of field content; an SDF record counts all its lines). */
export const DEFAULT_MAX_ROW_CHARS = 1_000_000;
/** More columns than this is not a spreadsheet (wrong delimiter, or a binary file). */
export const MAX_COLUMNS = 5000;

export type RowErrorCode =
  /** More or fewer values than the header has columns. */
  | 'ROW_RAGGED'
  /** Longer than the row size limit; skipped whole, reading goes on at the next line. */
  | 'ROW_TOO_LARGE'
  /** A quote opened on this line is never closed (within the size limit or before the end of the file). */
  | 'ROW_UNCLOSED_QUOTE'
  /** An SDF record that is not a molfile (no `M  END`, no counts line, two molecules in one record, stray text). */
  | 'SDF_RECORD_INVALID';

interface RowBase {
  /** 1-based number of the data row (CSV/TSV: after the header; SDF: the record). Stable across runs. */
  rowNumber: number;
  /** Physical line of the file where the row starts (1-based; the header is line 1 in most files). */
  line: number;
  /** Physical line where it ends (> line when a quoted value or an SDF record spans lines). */
  endLine: number;
  /** The row as read (line break removed), at most RAW_CAP characters. */
  raw: string;
  rawTruncated: boolean;
}

export interface DataRow extends RowBase {
  /** Column name → value (trimmed). SDF: `$title`, `$molblock` and one key per data item. */
  fields: Record<string, string>;
}

export interface ErrorRow extends RowBase {
  error: { code: RowErrorCode; reason: string };
}

/** Narrow with `'error' in row`. */
export type ReadRow = DataRow | ErrorRow;

export const isErrorRow = (row: ReadRow): row is ErrorRow => 'error' in row;

export interface ReadOptions {
  format: ImportFormat;
  /** A hint (see `openSource`); the value stored from the preview is fine (unknown names mean auto). */
  encoding?: EncodingHint;
  /** `gzip` forces gunzip; anything else (null, `auto`, the stored value): by magic bytes. */
  compression?: CompressionHint;
  /** Skip rows 1…startAfterRow (already committed) without yielding them. */
  startAfterRow?: number;
  /** CSV/TSV field delimiter; default: tab for tsv, sniffed (`,` or `;`) for csv. */
  delimiter?: Delimiter;
  /** The input is only the start of a file (preview): a cut-off last row is left out, not reported. */
  partial?: boolean;
  /** Row size limit in characters; default DEFAULT_MAX_ROW_CHARS. */
  maxRowChars?: number;
  /** Bytes read from the file at a time (default 256 KiB); tests use tiny values to exercise chunk boundaries. */
  chunkBytes?: number;
  /** Bounds on a gzip file's decompressed size (see source.ts). */
  expansion?: ExpansionLimits;
}

export interface ReadStats {
  /** Rows numbered so far (yielded or skipped by startAfterRow). */
  rows: number;
  /** Error rows among them. */
  errorRows: number;
  /** Blank lines / empty rows / empty SDF records passed over (not rows). */
  blankRows: number;
  /** Physical lines read so far. */
  lines: number;
  /** Encoding as decided so far; final at the end. */
  encoding: TextEncodingName;
  /** File bytes consumed so far (compressed bytes for gzip) and the file size: progress = bytesRead / sizeBytes. */
  bytesRead: number;
  sizeBytes: number;
  /** True once the whole file has been read. */
  done: boolean;
}

export interface RowReader extends AsyncIterable<ReadRow> {
  readonly format: ImportFormat;
  /** CSV/TSV: the header, made unique. SDF: `$title`, `$molblock` and the data items of the first records. */
  readonly columns: string[];
  readonly delimiter: Delimiter | null;
  /** Numbers in the file write decimals with a comma (semicolon CSV, or so the sample suggests). */
  readonly decimalComma: boolean;
  readonly compression: Compression;
  readonly stats: ReadStats;
  /** Stop reading and release the file (also done when iteration ends or breaks). */
  close(): void;
}

// ---------------------------------------------------------------------------
// Text helpers

const NUL = /\0/g;
/** Postgres text cannot hold NUL; keep the row, mark the spot. */
export const clean = (s: string) => (s.includes('\0') ? s.replace(NUL, '\ufffd') : s);

export function capRaw(raw: string): { raw: string; rawTruncated: boolean } {
  let s = raw.replace(/(?:\r\n|\r|\n)$/, '');
  const rawTruncated = s.length > RAW_CAP;
  if (rawTruncated) {
    s = s.slice(0, RAW_CAP);
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  }
  return { raw: clean(s), rawTruncated };
}

export const fmt = (n: number) => n.toLocaleString('en-US');

/** Set a key even when it is `__proto__`. */
export function setField(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

// ---------------------------------------------------------------------------
// The file as chunks

export type ChunkOptions = Pick<ReadOptions, 'encoding' | 'compression' | 'chunkBytes' | 'expansion'> & { partial: boolean };

/** The decoded file as a stream of UTF-8 chunks; a read failure becomes a file-level error. */
export class Chunks {
  private constructor(
    readonly source: Source,
    private readonly iterator: AsyncIterator<Buffer>
  ) {}

  static async open(input: SourceInput, opts: ChunkOptions): Promise<Chunks> {
    const source = await openSource(input, {
      encoding: opts.encoding,
      compression: opts.compression,
      partial: opts.partial,
      highWaterMark: opts.chunkBytes,
      expansion: opts.expansion
    });
    return new Chunks(source, (source.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]());
  }

  /** The next chunk, or null at the end. `stoppedAt`: the line a read error names (null: none). */
  async next(stoppedAt: number | null): Promise<Buffer | null> {
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iterator.next();
    } catch (e) {
      throw toFileError(e, stoppedAt !== null ? ` (reading stopped at line ${fmt(stoppedAt)})` : '');
    }
    return r.done ? null : r.value;
  }

  destroy(): void {
    this.source.destroy();
  }
}

// ---------------------------------------------------------------------------
// Records → numbered rows

/** A format's records, in file order (CSV records, SDF records). */
export interface RecordSource<T> {
  readonly source: Source;
  readonly linesRead: number;
  /** The next record; null at the end. */
  next(): Promise<T | null>;
  close(): void;
}

export const newStats = (source: Source): ReadStats => ({
  rows: 0,
  errorRows: 0,
  blankRows: 0,
  lines: 0,
  encoding: 'utf-8',
  bytesRead: 0,
  sizeBytes: source.sizeBytes,
  done: false
});

/** The next record that is not blank (each blank one counted in `stats.blankRows`). */
export async function nextNonBlank<T>(records: RecordSource<T>, isBlank: (record: T) => boolean, stats: ReadStats): Promise<T | null> {
  for (;;) {
    const record = await records.next();
    if (!record) return null;
    if (!isBlank(record)) return record;
    stats.blankRows++;
  }
}

export interface RowReaderParts<T> {
  format: ImportFormat;
  columns: string[];
  delimiter: Delimiter | null;
  decimalComma: boolean;
  records: RecordSource<T>;
  stats: ReadStats;
  /** Records read while opening (CSV: the first data row; SDF: the records peeked for columns), numbered first. */
  head: readonly T[];
  /** The records after them, blank ones passed over. */
  next: () => Promise<T | null>;
  /** The row a record becomes (its fields, or why it could not be read). */
  toRow: (record: T, rowNumber: number) => ReadRow;
  /** Whether the record ended properly (a line break, `$$$$`): in a preview, an unended record that does not read was cut off. */
  terminated: (record: T) => boolean;
  partial: boolean;
  startAfterRow: number;
}

/** Number the records as rows: every record exactly once, in order (see readers.ts). */
export function rowReader<T>(parts: RowReaderParts<T>): RowReader {
  const { records, stats, head, next, toRow, terminated, partial } = parts;
  const startAfter = parts.startAfterRow;
  const sync = () => {
    stats.lines = records.linesRead;
    stats.encoding = records.source.encoding;
    stats.bytesRead = records.source.bytesRead;
  };

  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      records.close();
    }
  };

  async function* rows(): AsyncGenerator<ReadRow> {
    try {
      let i = 0;
      for (;;) {
        const record = i < head.length ? head[i++] : await next();
        if (!record) break;
        // The end of a sample (preview) may cut the last record off mid-way: leave it out if it does not read.
        if (partial && !terminated(record) && 'error' in toRow(record, stats.rows + 1)) break;
        const rowNumber = ++stats.rows;
        const row = toRow(record, rowNumber);
        if ('error' in row) stats.errorRows++;
        if (rowNumber <= startAfter) continue;
        sync();
        yield row;
      }
      sync();
      stats.done = true;
    } finally {
      close();
    }
  }

  return {
    format: parts.format,
    columns: parts.columns,
    delimiter: parts.delimiter,
    decimalComma: parts.decimalComma,
    compression: records.source.compression,
    stats,
    close,
    [Symbol.asyncIterator]: () => rows()
  };
}
