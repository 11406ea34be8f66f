/**
 * Reading an uploaded CSV, TSV or SD file as numbered rows, streaming, in
 * bounded memory.
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
 *    the next line. csv-parse stops at `max_record_size` (its own
 *    `skip_records_with_error` loses the rows that follow in the same chunk),
 *    so the reader keeps the bytes since the start of the unfinished record
 *    (at most `maxRowChars` + one chunk), restarts the parser after the bad
 *    record's first line and feeds them again — no second pass over the file.
 *  - Kept raw text is capped at 2,000 characters (`rawTruncated`).
 *  - File-level problems (empty file, header only, no header, not an SD
 *    file, …) are thrown as `ImportFileError` before any row.
 *
 * Totals: `countRows` runs this same reader to the end without keeping rows,
 * so its count is exactly the number of rows `readRows` yields (cheap next to
 * registering them); `stats.bytesRead`/`sizeBytes` give progress without it.
 */
import { CsvError, Parser } from 'csv-parse';
import { SDF_MOLBLOCK_COLUMN, SDF_TITLE_COLUMN } from '../../common/import-mapping';
import {
  ImportFileError,
  openSource,
  excelSepHint,
  readHead,
  sniffDelimiter,
  toFileError,
  type Compression,
  type Delimiter,
  type ImportFormat,
  type Source,
  type SourceInput,
  type TextEncodingName,
  type EncodingHint,
  type CompressionHint,
  type ExpansionLimits
} from './source';
import { guessDecimalComma, looksLikeSmiles, looksNumeric } from './values';

export { ImportFileError, importErrorCode, type ImportFileErrorCode } from './source';

/** Raw text kept per row (the rest is cut off and `rawTruncated` is set). */
export const RAW_CAP = 2000;
/** Longest row read (characters of field content; an SDF record counts all its lines). */
export const DEFAULT_MAX_ROW_CHARS = 1_000_000;
/** More columns than this is not a spreadsheet (wrong delimiter, or a binary file). */
export const MAX_COLUMNS = 5000;
/** Broken records (too large / unclosed quote) recovered from before the file is given up on. */
const MAX_RESTARTS = 1000;

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
// Small helpers

const NUL = /\0/g;
/** Postgres text cannot hold NUL; keep the row, mark the spot. */
const clean = (s: string) => (s.includes('\0') ? s.replace(NUL, '\ufffd') : s);

function capRaw(raw: string): { raw: string; rawTruncated: boolean } {
  let s = raw.replace(/(?:\r\n|\r|\n)$/, '');
  const rawTruncated = s.length > RAW_CAP;
  if (rawTruncated) {
    s = s.slice(0, RAW_CAP);
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  }
  return { raw: clean(s), rawTruncated };
}

/** Line breaks in a string; \r\n counts once. */
function countBreaks(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (s.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
}

const endsWithBreak = (s: string) => {
  const c = s.charCodeAt(s.length - 1);
  return c === 10 || c === 13;
};

const DELIMITER_WORD: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };
const fmt = (n: number) => n.toLocaleString('en-US');
const where = (rowNumber: number, line: number, endLine = line) =>
  `Row ${fmt(rowNumber)} (${endLine > line ? `lines ${fmt(line)}–${fmt(endLine)}` : `line ${fmt(line)}`})`;

/** Set a key even when it is `__proto__`. */
function setField(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Header names made usable as keys: trimmed; blank → `Column_<n>` (its
 * position); repeated → `Name_2`, `Name_3` (never colliding with a real header).
 */
export function uniqueColumnNames(headers: readonly string[]): string[] {
  const base = headers.map((h, i) => clean(h.replace(/^\ufeff/, '').trim()) || `Column_${i + 1}`);
  const taken = new Set(base);
  const used = new Set<string>();
  return base.map((name) => {
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
    let k = 2;
    while (taken.has(`${name}_${k}`) || used.has(`${name}_${k}`)) k++;
    const unique = `${name}_${k}`;
    used.add(unique);
    return unique;
  });
}

// ---------------------------------------------------------------------------
// Skipping physical lines in a byte stream (restart after a broken record)

/** Drops the first N physical lines of a byte stream (\r\n, \n or \r). Exported for tests. */
export class LineSkipper {
  private afterCR = false;
  constructor(private remaining: number) {}

  get done(): boolean {
    return this.remaining === 0 && !this.afterCR;
  }

  /** The part of `buf` after the skipped lines; null when all of it was skipped. */
  feed(buf: Buffer): Buffer | null {
    let i = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (buf.length > 0 && buf[0] === 0x0a) i = 1;
    }
    while (this.remaining > 0 && i < buf.length) {
      const lf = buf.indexOf(0x0a, i);
      const crSearchEnd = lf === -1 ? buf.length : lf;
      const cr = buf.subarray(i, crSearchEnd).indexOf(0x0d);
      if (cr !== -1) {
        const at = i + cr;
        this.remaining--;
        if (at + 1 >= buf.length) {
          this.afterCR = true;
          return null;
        }
        i = buf[at + 1] === 0x0a ? at + 2 : at + 1;
      } else if (lf !== -1) {
        this.remaining--;
        i = lf + 1;
      } else return null;
    }
    if (this.remaining > 0 || i >= buf.length) return null;
    return i === 0 ? buf : buf.subarray(i);
  }
}

// ---------------------------------------------------------------------------
// CSV/TSV: records from csv-parse, with recovery from broken records

interface CsvRecord {
  kind: 'record';
  fields: string[];
  raw: string;
  line: number;
  endLine: number;
  /** Ended by a line break (false only for the last record of a file without a final newline). */
  terminated: boolean;
}

interface CsvBroken {
  kind: 'broken';
  code: 'ROW_TOO_LARGE' | 'ROW_UNCLOSED_QUOTE';
  raw: string;
  line: number;
  atEnd: boolean;
}

type CsvItem = CsvRecord | CsvBroken;

interface Captured {
  record: string[];
  raw: string;
  bytes: number;
}

/**
 * csv-parse's Parser, with records taken as the parser finds them instead of
 * through the stream's buffer: a stream that errors discards what it
 * buffered, and a row must never vanish that way. (Cheaper than `on_record`,
 * which builds an info object per record.) With `raw`, csv-parse pushes
 * `{ record, raw }`; `info.bytes` is then where the record ended.
 */
class CapturingParser extends Parser {
  constructor(
    options: ConstructorParameters<typeof Parser>[0],
    private readonly sink: (record: string[], raw: string, bytes: number) => void
  ) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    const { record, raw } = chunk as { record: string[]; raw: string };
    this.sink(record, raw, this.info.bytes);
    return true;
  }
}

class CsvRecords {
  private src!: Source;
  private chunks!: AsyncIterator<Buffer>;
  private parser!: CapturingParser;
  private captured: Captured[] = [];
  private out: CsvItem[] = [];
  private outIndex = 0;
  /** Bytes fed to the current parser since `replayStart` (the start of the unfinished record, roughly). */
  private replay: Buffer[] = [];
  private replayStart = 0;
  /** Parser-relative offset where the last complete record ended. */
  private recordEnd = 0;
  /** Bytes waiting to be fed (the replayed tail after a restart). */
  private pendingInput: Buffer | null = null;
  private skipper: LineSkipper | null = null;
  private sourceEnded = false;
  private finished = false;
  private nextLine = 1;
  restarts = 0;

  constructor(
    private readonly input: SourceInput,
    private readonly opts: { delimiter: Delimiter; maxRowChars: number; partial: boolean; encoding?: EncodingHint; compression?: CompressionHint; chunkBytes?: number; expansion?: ExpansionLimits }
  ) {}

  get source(): Source {
    return this.src;
  }

  get linesRead(): number {
    return this.nextLine - 1;
  }

  async open(): Promise<void> {
    this.src = await openSource(this.input, {
      encoding: this.opts.encoding,
      compression: this.opts.compression,
      partial: this.opts.partial,
      highWaterMark: this.opts.chunkBytes,
      expansion: this.opts.expansion
    });
    this.chunks = (this.src.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    this.newParser();
  }

  close(): void {
    this.finished = true;
    this.src?.destroy();
    this.parser?.destroy();
  }

  private newParser(): void {
    this.parser?.destroy();
    this.captured = [];
    this.replay = [];
    this.replayStart = 0;
    this.recordEnd = 0;
    this.parser = new CapturingParser(
      {
        delimiter: this.opts.delimiter,
        quote: '"',
        escape: '"',
        // Mixed line endings (Excel on a Mac, a file edited on two systems) all end a record.
        record_delimiter: ['\r\n', '\n', '\r'],
        // We judge field counts ourselves (ROW_RAGGED) and treat stray quotes inside a value as text.
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: false,
        bom: false,
        raw: true,
        max_record_size: this.opts.maxRowChars
      },
      (record, raw, bytes) => this.captured.push({ record, raw, bytes })
    );
    this.parser.on('error', () => {
      /* read from the write/end callbacks */
    });
  }

  /** The next record (or broken record); null at the end. */
  async next(): Promise<CsvItem | null> {
    for (;;) {
      if (this.outIndex < this.out.length) return this.out[this.outIndex++];
      this.out = [];
      this.outIndex = 0;
      if (this.finished) return null;

      let err: Error | null = null;
      if (this.pendingInput) {
        const buf = this.pendingInput;
        this.pendingInput = null;
        err = await this.feed(buf);
      } else if (!this.sourceEnded) {
        let r: IteratorResult<Buffer>;
        try {
          r = await this.chunks.next();
        } catch (e) {
          throw toFileError(e, this.nextLine > 1 ? ` (reading stopped at line ${fmt(this.nextLine)})` : '');
        }
        if (r.done) this.sourceEnded = true;
        else err = await this.feed(r.value);
      } else {
        err = await this.end();
        if (!err) this.finished = true;
      }
      this.collect();
      if (err) this.recover(err);
    }
  }

  private async feed(buf: Buffer): Promise<Error | null> {
    if (this.skipper) {
      const rest = this.skipper.feed(buf);
      if (this.skipper.done) this.skipper = null;
      if (!rest) return null;
      buf = rest;
    }
    this.replay.push(buf);
    return new Promise((resolve) => this.parser.write(buf, (e) => resolve(e ?? null)));
  }

  private end(): Promise<Error | null> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (e: Error | null) => {
        if (!settled) {
          settled = true;
          resolve(e);
        }
      };
      this.parser.once('error', (e) => done(e));
      this.parser.once('finish', () => done(null));
      this.parser.end();
    });
  }

  /** Move what the parser found into `out`, numbering lines; drop replay bytes before the unfinished record. */
  private collect(): void {
    for (const c of this.captured) {
      const breaks = countBreaks(c.raw);
      const terminated = endsWithBreak(c.raw);
      const line = this.nextLine;
      this.nextLine += breaks;
      this.out.push({ kind: 'record', fields: c.record, raw: c.raw, line, endLine: line + breaks - (terminated ? 1 : 0), terminated });
      this.recordEnd = c.bytes;
    }
    this.captured = [];
    while (this.replay.length && this.replayStart + this.replay[0].length <= this.recordEnd) {
      this.replayStart += this.replay[0].length;
      this.replay.shift();
    }
  }

  /**
   * The record starting at `nextLine` broke the parser (too large, or a quote
   * that never closes). Report it as one row, then parse again from the line
   * after its first line, replaying the bytes already read.
   */
  private recover(err: Error): void {
    const code = (err as CsvError).code;
    if (!(err instanceof CsvError) || (code !== 'CSV_MAX_RECORD_SIZE' && code !== 'CSV_QUOTE_NOT_CLOSED')) {
      throw new ImportFileError('IMPORT_MALFORMED', `The file could not be read at line ${fmt(this.nextLine)}: ${err.message}`);
    }
    const line = this.nextLine;
    const atEnd = code === 'CSV_QUOTE_NOT_CLOSED';
    if (atEnd && this.opts.partial) {
      // Only the start of the file: a quoted value was cut off at the end. Not a row.
      this.finished = true;
      return;
    }
    const raw = String((err as unknown as { raw?: unknown }).raw ?? '');
    const tooLarge = code === 'CSV_MAX_RECORD_SIZE' && countBreaks(raw) === 0;
    this.out.push({ kind: 'broken', code: tooLarge ? 'ROW_TOO_LARGE' : 'ROW_UNCLOSED_QUOTE', raw, line, atEnd });
    // Each restart re-parses at most maxRowChars plus one chunk; a file that needs this
    // over and over is not the CSV it claims to be.
    if (++this.restarts > MAX_RESTARTS) {
      throw new ImportFileError(
        'IMPORT_MALFORMED',
        `More than ${fmt(MAX_RESTARTS)} rows are too long or open a quote (") that is never closed; ` +
          `the file is probably not ${DELIMITER_WORD[this.opts.delimiter]}-delimited text. Reading stopped at line ${fmt(line)}.`
      );
    }

    const fed = Buffer.concat(this.replay);
    const tail = fed.subarray(Math.max(0, this.recordEnd - this.replayStart));
    this.newParser();
    this.nextLine = line + 1;
    this.skipper = new LineSkipper(1);
    this.pendingInput = tail.length ? Buffer.from(tail) : null;
    // The source may already be finished (unclosed quote found at the end): the tail is all there is.
  }
}

// ---------------------------------------------------------------------------
// SDF: records between `$$$$` lines

interface SdfItem {
  lines: string[];
  line: number;
  endLine: number;
  /** Ended by `$$$$` (false: by the end of the file). */
  terminated: boolean;
  tooLarge: boolean;
  /** Characters in the record (all lines, with breaks). */
  chars: number;
  preview: string;
}

class SdfRecords {
  private src!: Source;
  private chunks!: AsyncIterator<Buffer>;
  private out: SdfItem[] = [];
  private outIndex = 0;
  private finished = false;
  // line splitting
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** The current line passed maxRowChars: only its start is kept (`overlongHead`), the rest counted. */
  private overlongHead: string | null = null;
  private afterCR = false;
  private lineNo = 0;
  // record assembly
  private cur: SdfItem | null = null;

  constructor(
    private readonly input: SourceInput,
    private readonly opts: { maxRowChars: number; encoding?: EncodingHint; compression?: CompressionHint; partial: boolean; chunkBytes?: number; expansion?: ExpansionLimits }
  ) {}

  get source(): Source {
    return this.src;
  }

  get linesRead(): number {
    return this.lineNo;
  }

  async open(): Promise<void> {
    this.src = await openSource(this.input, {
      encoding: this.opts.encoding,
      compression: this.opts.compression,
      partial: this.opts.partial,
      highWaterMark: this.opts.chunkBytes,
      expansion: this.opts.expansion
    });
    this.chunks = (this.src.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  close(): void {
    this.finished = true;
    this.src?.destroy();
  }

  async next(): Promise<SdfItem | null> {
    for (;;) {
      if (this.outIndex < this.out.length) return this.out[this.outIndex++];
      this.out = [];
      this.outIndex = 0;
      if (this.finished) return null;
      let r: IteratorResult<Buffer>;
      try {
        r = await this.chunks.next();
      } catch (e) {
        throw toFileError(e, this.lineNo > 0 ? ` (reading stopped at line ${fmt(this.lineNo)})` : '');
      }
      if (r.done) {
        this.flushEnd();
        this.finished = true;
      } else this.split(r.value);
    }
  }

  /** Split bytes into lines (\r\n, \n or \r). */
  private split(buf: Buffer): void {
    let i = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (buf.length && buf[0] === 0x0a) i = 1;
    }
    let lf = buf.indexOf(0x0a, i);
    let cr = buf.indexOf(0x0d, i);
    while (i < buf.length) {
      if (lf !== -1 && lf < i) lf = buf.indexOf(0x0a, i);
      if (cr !== -1 && cr < i) cr = buf.indexOf(0x0d, i);
      const j = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (j === -1) {
        this.hold(buf.subarray(i));
        return;
      }
      this.hold(buf.subarray(i, j));
      this.endLine();
      let next = j + 1;
      if (buf[j] === 0x0d) {
        if (next === buf.length) this.afterCR = true;
        else if (buf[next] === 0x0a) next++;
      }
      i = next;
    }
  }

  /** Part of the current line; never holds more than maxRowChars of it. */
  private hold(part: Buffer): void {
    if (part.length === 0) return;
    this.pendingLength += part.length;
    if (this.overlongHead !== null) return;
    this.pending.push(Buffer.from(part));
    if (this.pendingLength > this.opts.maxRowChars) {
      this.overlongHead = Buffer.concat(this.pending).subarray(0, RAW_CAP * 4).toString('utf8');
      this.pending = [];
    }
  }

  private endLine(): void {
    this.lineNo++;
    const length = this.pendingLength;
    const overlong = this.overlongHead;
    const text = overlong ?? (this.pending.length === 1 ? this.pending[0].toString('utf8') : Buffer.concat(this.pending).toString('utf8'));
    this.pending = [];
    this.pendingLength = 0;
    this.overlongHead = null;
    if (overlong === null && length <= 6 && text.trimEnd() === '$$$$') {
      if (this.cur) {
        this.cur.endLine = this.lineNo;
        this.cur.terminated = true;
        this.out.push(this.cur);
        this.cur = null;
      } else {
        // `$$$$` right after `$$$$` (or at the very start): an empty record.
        this.out.push({ lines: [], line: this.lineNo, endLine: this.lineNo, terminated: true, tooLarge: false, chars: 0, preview: '' });
      }
      return;
    }
    if (!this.cur) {
      this.cur = { lines: [], line: this.lineNo, endLine: this.lineNo, terminated: false, tooLarge: false, chars: 0, preview: '' };
    }
    const r = this.cur;
    r.endLine = this.lineNo;
    if (!r.tooLarge && (overlong !== null || r.chars + length + 1 > this.opts.maxRowChars)) {
      // Too large: keep the start for the error row, stop keeping lines, keep counting to `$$$$`.
      r.tooLarge = true;
      r.preview = (r.lines.length ? r.lines.join('\n') + '\n' : '') + text.slice(0, RAW_CAP + 1);
      r.lines = [];
    } else if (!r.tooLarge) r.lines.push(text);
    r.chars += length + 1;
  }

  private flushEnd(): void {
    if (this.pendingLength > 0) this.endLine();
    this.afterCR = false;
    if (this.cur) {
      this.out.push(this.cur);
      this.cur = null;
    }
  }
}

/** Lines of a record whose every line is blank (e.g. the newline after the last `$$$$`). */
const blankRecord = (r: SdfItem) => !r.tooLarge && r.lines.every((l) => l.trim() === '');

const MOL_END = /^M {2}END\s*$/;
const COUNTS_V2000 = /^[ \d]{3}[ \d]{3}/;

/**
 * A molfile + data items → fields, or why it is not one. Blank lines before
 * the molfile (files joined with `cat` after a trailing blank line) are
 * passed over when the molfile does not read without doing so; a blank title
 * line is otherwise kept as the molfile's own.
 */
export function parseSdfRecord(lines: readonly string[]): { fields: Record<string, string> } | { problem: string } {
  const parsed = parseMolRecord(lines);
  if ('problem' in parsed && lines.length > 0 && lines[0].trim() === '') {
    let k = 0;
    while (k < lines.length && lines[k].trim() === '') k++;
    const shifted = parseMolRecord(lines.slice(k));
    if ('fields' in shifted) return shifted;
  }
  return parsed;
}

function parseMolRecord(lines: readonly string[]): { fields: Record<string, string> } | { problem: string } {
  const endIdx = lines.findIndex((l) => MOL_END.test(l));
  if (endIdx === -1) {
    const hint = lines.some((l) => /^>\s*</.test(l)) ? ' (it has data items, but the molecule block before them is incomplete)' : '';
    return { problem: `has no "M  END" line, so it is not a complete molfile${hint}` };
  }
  if (endIdx < 3) return { problem: 'is too short to be a molfile (a molfile starts with 3 header lines and a counts line)' };
  const counts = lines[3];
  if (!(COUNTS_V2000.test(counts) && /\d/.test(counts.slice(0, 6))) && !/V3000/.test(counts)) {
    return { problem: `has no molfile counts line on its 4th line (found "${counts.trim().slice(0, 60)}")` };
  }
  const more = lines.findIndex((l, i) => i > endIdx && MOL_END.test(l));
  if (more !== -1) {
    return { problem: 'contains two molecules (two "M  END" lines); a "$$$$" separator line seems to be missing between them' };
  }
  const fields: Record<string, string> = {};
  fields[SDF_TITLE_COLUMN] = clean(lines[0].trim());
  fields[SDF_MOLBLOCK_COLUMN] = clean(lines.slice(0, endIdx + 1).join('\n') + '\n');
  const seen = new Map<string, number>();
  let i = endIdx + 1;
  while (i < lines.length) {
    const l = lines[i];
    if (l.trim() === '') {
      i++;
      continue;
    }
    if (l[0] !== '>') {
      return {
        problem: `has unexpected text after the molecule on its line ${i + 1} ("${l.trim().slice(0, 60)}"); data items start with "> <name>"`
      };
    }
    const named = /<([^>]*)>/.exec(l);
    let name = clean((named ? named[1] : l.slice(1)).trim()) || `field_${seen.size + 1}`;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > 1) name = `${name}_${n}`;
    if (name === SDF_MOLBLOCK_COLUMN || name === SDF_TITLE_COLUMN) name = `${name}_data`;
    i++;
    const value: string[] = [];
    // A value runs to the next blank line; a following `> <name>` line (no blank line between) starts the next item.
    while (i < lines.length && lines[i].trim() !== '' && !/^>\s*.*<[^>]*>/.test(lines[i])) value.push(lines[i++].trimEnd());
    setField(fields, name, clean(value.join('\n').trim()));
  }
  return { fields };
}

// ---------------------------------------------------------------------------
// The reader

/** Whether a would-be header row looks like data: SMILES or mostly numbers. */
function headerLooksLikeData(cells: readonly string[]): string | null {
  const filled = cells.map((c) => c.trim()).filter((c) => c !== '');
  if (filled.length === 0) return null;
  const smiles = filled.find((c) => c.length >= 4 && /[()=#[\]@/\\%\d]/.test(c) && looksLikeSmiles(c));
  if (smiles) return smiles;
  const numbers = filled.filter((c) => /\d/.test(c) && looksNumeric(c));
  if (numbers.length >= 1 && numbers.length * 2 >= filled.length) return numbers[0];
  return null;
}

/**
 * Open a file for reading rows: reads the header (CSV/TSV) or the first
 * records (SDF) and the first data row, so file-level problems are thrown
 * here, before any row.
 */
export async function openReader(input: SourceInput, opts: ReadOptions): Promise<RowReader> {
  const maxRowChars = opts.maxRowChars ?? DEFAULT_MAX_ROW_CHARS;
  if (opts.format === 'sdf') return openSdfReader(input, opts, maxRowChars);

  const head = await readHead(input, { encoding: opts.encoding, compression: opts.compression, maxBytes: 64 * 1024 });
  const sepHint = excelSepHint(head.text);
  const delimiter: Delimiter = opts.delimiter ?? sepHint?.delimiter ?? (opts.format === 'tsv' ? '\t' : sniffDelimiter(head.text).delimiter);
  const records = new CsvRecords(input, {
    delimiter,
    maxRowChars,
    partial: opts.partial ?? false,
    encoding: opts.encoding,
    compression: opts.compression,
    chunkBytes: opts.chunkBytes,
    expansion: opts.expansion
  });
  await records.open();
  const stats: ReadStats = {
    rows: 0,
    errorRows: 0,
    blankRows: 0,
    lines: 0,
    encoding: 'utf-8',
    bytesRead: 0,
    sizeBytes: records.source.sizeBytes,
    done: false
  };
  const sync = () => {
    stats.lines = records.linesRead;
    stats.encoding = records.source.encoding;
    stats.bytesRead = records.source.bytesRead;
  };
  const isBlank = (item: CsvItem) => item.kind === 'record' && item.fields.every((f) => f.trim() === '');
  const nextNonBlank = async (): Promise<CsvItem | null> => {
    for (;;) {
      const item = await records.next();
      if (!item) return null;
      if (!isBlank(item)) return item;
      stats.blankRows++;
    }
  };

  let columns: string[];
  let first: CsvItem | null;
  try {
    let header = await nextNonBlank();
    if (sepHint && header?.kind === 'record' && header.line === 1 && /^\s*sep=/i.test(header.raw)) {
      stats.blankRows++; // Excel's `sep=;` line: not the header, not a row
      header = await nextNonBlank();
    }
    if (!header) {
      throw new ImportFileError('IMPORT_EMPTY', 'The file is empty: it has no column names and no rows.');
    }
    if (header.kind === 'broken') {
      throw new ImportFileError(
        'IMPORT_MALFORMED',
        header.code === 'ROW_TOO_LARGE'
          ? `The first line (the column names) is longer than ${fmt(maxRowChars)} characters. Is this really a CSV/TSV file?`
          : 'The first line (the column names) opens a quote (") that is never closed. Fix the header and upload again.'
      );
    }
    const dataLike = headerLooksLikeData(header.fields);
    if (dataLike) {
      throw new ImportFileError(
        'IMPORT_NO_HEADER',
        `The first row looks like data (it contains "${dataLike.slice(0, 60)}"), not column names. ` +
          'Add a header row naming each column (e.g. SMILES, Name, IC50 (nM)) and upload again.',
        { line: header.line }
      );
    }
    if (header.fields.length > MAX_COLUMNS) {
      throw new ImportFileError(
        'IMPORT_MALFORMED',
        `The header has ${fmt(header.fields.length)} columns (split at each ${DELIMITER_WORD[delimiter]}); at most ${fmt(MAX_COLUMNS)} can be read.`
      );
    }
    columns = uniqueColumnNames(header.fields);
    first = await nextNonBlank();
    if (!first) {
      throw new ImportFileError(
        'IMPORT_EMPTY',
        `The file has column names (${columns.slice(0, 8).join(', ')}${columns.length > 8 ? ', …' : ''}) but no data rows.`
      );
    }
  } catch (err) {
    records.close();
    throw err;
  }

  const expected = columns.length;
  const startAfter = opts.startAfterRow ?? 0;
  const partial = opts.partial ?? false;
  const decimalComma = delimiter === ';' || guessDecimalComma(sampleCells(head.text, delimiter));

  const toRow = (item: CsvItem, rowNumber: number): ReadRow => {
    if (item.kind === 'broken') {
      const { raw, rawTruncated } = capRaw(item.raw);
      const reason =
        item.code === 'ROW_TOO_LARGE'
          ? `${where(rowNumber, item.line)} is longer than ${fmt(maxRowChars)} characters, so it was not read. The rows after it were read as usual.`
          : `${where(rowNumber, item.line)} opens a quote (") that is never closed${item.atEnd ? ' before the end of the file' : ` within ${fmt(maxRowChars)} characters`}. ` +
            `Only this line was skipped; reading went on at line ${fmt(item.line + 1)}.`;
      return { rowNumber, line: item.line, endLine: item.line, raw, rawTruncated: rawTruncated || item.raw.length > RAW_CAP, error: { code: item.code, reason } };
    }
    const { raw, rawTruncated } = capRaw(item.raw);
    let values = item.fields;
    if (values.length > expected && values.slice(expected).every((v) => v.trim() === '')) values = values.slice(0, expected);
    if (values.length !== expected) {
      const spans = item.endLine > item.line ? ` It runs over lines ${fmt(item.line)}–${fmt(item.endLine)}, which usually means a quote (") is not closed.` : '';
      const tooMany =
        values.length > expected
          ? ` A value probably contains a ${DELIMITER_WORD[delimiter]}; such values must be in double quotes.`
          : '';
      return {
        rowNumber,
        line: item.line,
        endLine: item.endLine,
        raw,
        rawTruncated,
        error: {
          code: 'ROW_RAGGED',
          reason: `${where(rowNumber, item.line, item.endLine)} has ${values.length} ${values.length === 1 ? 'value' : 'values'} but the header has ${expected} columns.${tooMany}${spans}`
        }
      };
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < expected; i++) setField(fields, columns[i], clean(values[i].trim()));
    return { rowNumber, line: item.line, endLine: item.endLine, fields, raw, rawTruncated };
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
      for (let item = first; item; item = await nextNonBlank()) {
        // The end of a sample (preview) may cut the last row off mid-way: leave it out if it does not read.
        if (partial && item.kind === 'record' && !item.terminated && 'error' in toRow(item, stats.rows + 1)) break;
        const rowNumber = ++stats.rows;
        const row = toRow(item, rowNumber);
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
    format: opts.format,
    columns,
    delimiter,
    decimalComma,
    compression: records.source.compression,
    stats,
    close,
    [Symbol.asyncIterator]: () => rows()
  };
}

/** Cells of the first lines of a head, split naively (for guessing decimal commas only). */
function sampleCells(text: string, delimiter: Delimiter): string[] {
  return text
    .split(/\r\n|\n|\r/)
    .slice(1, 50)
    .flatMap((l) => l.split(delimiter))
    .map((c) => c.replace(/^"|"$/g, ''));
}

async function openSdfReader(input: SourceInput, opts: ReadOptions, maxRowChars: number): Promise<RowReader> {
  const partial = opts.partial ?? false;
  const records = new SdfRecords(input, { maxRowChars, encoding: opts.encoding, compression: opts.compression, partial, chunkBytes: opts.chunkBytes, expansion: opts.expansion });
  await records.open();
  const stats: ReadStats = {
    rows: 0,
    errorRows: 0,
    blankRows: 0,
    lines: 0,
    encoding: 'utf-8',
    bytesRead: 0,
    sizeBytes: records.source.sizeBytes,
    done: false
  };
  const sync = () => {
    stats.lines = records.linesRead;
    stats.encoding = records.source.encoding;
    stats.bytesRead = records.source.bytesRead;
  };
  const nextNonBlank = async (): Promise<SdfItem | null> => {
    for (;;) {
      const r = await records.next();
      if (!r) return null;
      if (!blankRecord(r)) return r;
      stats.blankRows++;
    }
  };

  // Peek at the first records for the column list (bounded: 20 records or 1 MB).
  const peeked: SdfItem[] = [];
  try {
    let chars = 0;
    while (peeked.length < 20 && chars < 1_000_000) {
      const r = await nextNonBlank();
      if (!r) break;
      peeked.push(r);
      chars += r.tooLarge ? RAW_CAP : r.chars;
    }
    if (peeked.length === 0) {
      throw new ImportFileError('IMPORT_EMPTY', 'The SD file is empty: it has no molecule records.');
    }
    const firstRec = peeked[0];
    if (
      !firstRec.terminated &&
      !firstRec.tooLarge &&
      !firstRec.lines.some((l) => MOL_END.test(l)) &&
      !firstRec.lines.slice(0, 8).some((l) => /V[23]000/.test(l))
    ) {
      throw new ImportFileError(
        'IMPORT_MALFORMED',
        'This does not look like an SD file: it has no "M  END" or "$$$$" lines. If it is a CSV or TSV file, upload it with a .csv or .tsv name.'
      );
    }
  } catch (err) {
    records.close();
    throw err;
  }

  const columns: string[] = [SDF_TITLE_COLUMN, SDF_MOLBLOCK_COLUMN];
  const seen = new Set(columns);
  for (const r of peeked) {
    const parsed = r.tooLarge ? null : parseSdfRecord(r.lines);
    if (parsed && 'fields' in parsed) for (const k of Object.keys(parsed.fields)) if (!seen.has(k)) seen.add(k), columns.push(k);
  }

  const startAfter = opts.startAfterRow ?? 0;
  const toRow = (r: SdfItem, rowNumber: number): ReadRow => {
    const text = r.tooLarge ? r.preview : r.lines.join('\n');
    const { raw, rawTruncated } = capRaw(text);
    const base = { rowNumber, line: r.line, endLine: r.endLine, raw, rawTruncated: rawTruncated || r.tooLarge };
    if (r.tooLarge) {
      return {
        ...base,
        error: {
          code: 'ROW_TOO_LARGE',
          reason: `Record ${fmt(rowNumber)} (lines ${fmt(r.line)}–${fmt(r.endLine)}) is longer than ${fmt(maxRowChars)} characters, so it was not read. The records after it were read as usual.`
        }
      };
    }
    const parsed = parseSdfRecord(r.lines);
    if ('problem' in parsed) {
      return {
        ...base,
        error: { code: 'SDF_RECORD_INVALID', reason: `Record ${fmt(rowNumber)} (lines ${fmt(r.line)}–${fmt(r.endLine)}) ${parsed.problem}.` }
      };
    }
    return { ...base, fields: parsed.fields };
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
        const r = i < peeked.length ? peeked[i++] : await nextNonBlank();
        if (!r) break;
        // The end of a sample (preview) may cut the last record off: leave it out if it does not read.
        if (partial && !r.terminated && 'error' in toRow(r, stats.rows + 1)) break;
        const rowNumber = ++stats.rows;
        const row = toRow(r, rowNumber);
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
    format: 'sdf',
    columns,
    delimiter: null,
    decimalComma: false,
    compression: records.source.compression,
    stats,
    close,
    [Symbol.asyncIterator]: () => rows()
  };
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
