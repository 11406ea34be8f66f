/**
 * CSV/TSV rows: records from csv-parse, numbered as rows against the header
 * (see readers.ts for the promise every reader keeps).
 *
 * A row longer than `maxRowChars` (a 10 MB line, a quote that is never
 * closed) becomes ONE error row and reading goes on at the next line.
 * csv-parse stops at `max_record_size` (its own `skip_records_with_error`
 * loses the rows that follow in the same chunk), so `CsvRecords` keeps the
 * bytes since the start of the unfinished record (at most `maxRowChars` + one
 * chunk), restarts the parser after the bad record's first line and feeds them
 * again — no second pass over the file.
 */
import { CsvError, Parser } from 'csv-parse';
import {
  capRaw,
  Chunks,
  clean,
  fmt,
  newStats,
  nextNonBlank,
  RAW_CAP,
  MAX_COLUMNS,
  rowReader,
  setField,
  type ChunkOptions,
  type ReadOptions,
  type ReadRow,
  type RecordSource,
  type RowReader
} from './rows';
import { excelSepHint, ImportFileError, readHead, sniffDelimiter, type Delimiter, type Source, type SourceInput } from './source';
import { guessDecimalComma, looksLikeSmiles, looksNumeric } from './values';

/** Broken records (too large / unclosed quote) recovered from before the file is given up on. */
const MAX_RESTARTS = 1000;

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
const where = (rowNumber: number, line: number, endLine = line) =>
  `Row ${fmt(rowNumber)} (${endLine > line ? `lines ${fmt(line)}–${fmt(endLine)}` : `line ${fmt(line)}`})`;

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
// Records from csv-parse, with recovery from broken records

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

class CsvRecords implements RecordSource<CsvItem> {
  private chunks!: Chunks;
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
    private readonly opts: ChunkOptions & { delimiter: Delimiter; maxRowChars: number }
  ) {}

  get source(): Source {
    return this.chunks.source;
  }

  get linesRead(): number {
    return this.nextLine - 1;
  }

  async open(): Promise<void> {
    this.chunks = await Chunks.open(this.input, this.opts);
    this.newParser();
  }

  close(): void {
    this.finished = true;
    this.chunks?.destroy();
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
        const chunk = await this.chunks.next(this.nextLine > 1 ? this.nextLine : null);
        if (!chunk) this.sourceEnded = true;
        else err = await this.feed(chunk);
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

/** Open a CSV/TSV file: reads the header and the first data row, so file-level problems are thrown here. */
export async function openCsvReader(input: SourceInput, opts: ReadOptions, maxRowChars: number): Promise<RowReader> {
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
  const stats = newStats(records.source);
  const isBlank = (item: CsvItem) => item.kind === 'record' && item.fields.every((f) => f.trim() === '');
  const nextItem = () => nextNonBlank(records, isBlank, stats);

  let columns: string[];
  let first: CsvItem | null;
  try {
    let header = await nextItem();
    if (sepHint && header?.kind === 'record' && header.line === 1 && /^\s*sep=/i.test(header.raw)) {
      stats.blankRows++; // Excel's `sep=;` line: not the header, not a row
      header = await nextItem();
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
    first = await nextItem();
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

  return rowReader({
    format: opts.format,
    columns,
    delimiter,
    decimalComma,
    records,
    stats,
    head: [first],
    next: nextItem,
    toRow,
    terminated: (item) => item.kind === 'broken' || item.terminated,
    partial: opts.partial ?? false,
    startAfterRow: opts.startAfterRow ?? 0
  });
}

/** Cells of the first lines of a head, split naively (for guessing decimal commas only). */
function sampleCells(text: string, delimiter: Delimiter): string[] {
  return text
    .split(/\r\n|\n|\r/)
    .slice(1, 50)
    .flatMap((l) => l.split(delimiter))
    .map((c) => c.replace(/^"|"$/g, ''));
}

