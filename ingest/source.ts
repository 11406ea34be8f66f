/**
 * Opening an uploaded file as a stream of text: gzip by magic bytes, the
 * encoding, and the file's format (CSV, TSV, SDF) and delimiter.
 *
 * Output is always UTF-8 bytes without a BOM, whatever the input was, so the
 * readers (csv-parse, the SDF reader) see one encoding.
 *
 * Encoding, decided on the fly and line by line, never for the whole file
 * from its head: a line that is valid UTF-8 is passed through untouched, a
 * line that is not is decoded as windows-1252 (Latin-1 with Excel's € ’ “ ” –
 * in 0x80–0x9F). So a file whose first non-UTF-8 byte is at 50 MB is still
 * decoded right, in one pass, and so is a file pasted together from a UTF-8
 * and a Latin-1 export. (Text in windows-1252 that happens to form valid UTF-8,
 * e.g. "Ã©", is the only thing decoded differently; real text does not.)
 * A UTF-8 BOM is stripped; a UTF-16 BOM, or NUL bytes in the pattern of UTF-16
 * (Excel's "Unicode Text"), selects UTF-16. The decision is a function of the
 * bytes only, so a resumed import decodes exactly as the first run did.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { AppError } from '../common/errors';

export type ImportFormat = 'csv' | 'tsv' | 'sdf';
export type Compression = 'gzip' | null;
/** What a file is decoded from. `windows-1252` = some lines were not valid UTF-8. */
export type TextEncodingName = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';
export type Delimiter = ',' | ';' | '\t';
/** An encoding hint as stored on an import (any string; unknown names mean auto). */
export type EncodingHint = TextEncodingName | 'auto' | (string & {}) | null;
/** A compression hint as stored on an import: `gzip` forces gunzip, anything else means "by magic bytes". */
export type CompressionHint = Compression | 'auto' | (string & {});
/** A file path, or the file's bytes (e.g. the first 512 KB the browser sent for a preview). */
export type SourceInput = string | Uint8Array;

// ---------------------------------------------------------------------------
// File-level errors

/** Why a whole file cannot be imported (as opposed to one bad row). */
export type ImportFileErrorCode =
  /** No rows: an empty file, blank lines only, or a header without data rows. */
  | 'IMPORT_EMPTY'
  /** The first row looks like data, not column names. */
  | 'IMPORT_NO_HEADER'
  /** Not something we read: a ZIP/Excel workbook, PDF, other compression, binary. */
  | 'IMPORT_UNSUPPORTED'
  /** Damaged beyond one row: corrupt gzip, header too long, not an SD file, … */
  | 'IMPORT_MALFORMED'
  /** A compressed file that expands past the decompression limits (a "gzip bomb"). */
  | 'IMPORT_TOO_LARGE';

/**
 * A file-level problem, thrown before any row is produced (or, for damage
 * found later such as a truncated gzip, at the point it is found). An
 * AppError with code VALIDATION_ERROR (so the job fails without retrying and
 * the API answers 400); the import-specific code is `importCode` and
 * `details[0].code`.
 */
export class ImportFileError extends AppError {
  constructor(
    readonly importCode: ImportFileErrorCode,
    message: string,
    extra: Record<string, unknown> = {}
  ) {
    // Too large answers like the upload limit (413); every other file problem is a 400.
    super(importCode === 'IMPORT_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR', message, [{ field: 'file', message, code: importCode, ...extra }]);
    this.name = 'ImportFileError';
  }
}

/** The import-specific code of an error, when it is a file-level import error. */
export function importErrorCode(err: unknown): ImportFileErrorCode | null {
  return err instanceof ImportFileError ? err.importCode : null;
}

const SUPPORTED = 'Upload a CSV, TSV or SD file (.csv, .tsv, .txt, .sdf), optionally gzip-compressed (.gz).';

/** Refuse containers we do not read, by their magic bytes. */
export function rejectUnsupported(head: Uint8Array, where = 'This file'): void {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  let what: string | null = null;
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06))
    what = `${where} is a ZIP archive or an Excel workbook (.xlsx). Save the sheet as CSV (File → Save As → CSV), or unzip it first.`;
  else if (starts(0xd0, 0xcf, 0x11, 0xe0)) what = `${where} is an old Excel workbook (.xls). Save the sheet as CSV (File → Save As → CSV).`;
  else if (starts(0x25, 0x50, 0x44, 0x46)) what = `${where} is a PDF.`;
  else if (starts(0x42, 0x5a, 0x68)) what = `${where} is bzip2-compressed; only gzip (.gz) is supported.`;
  else if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) what = `${where} is xz-compressed; only gzip (.gz) is supported.`;
  else if (starts(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c)) what = `${where} is a 7-Zip archive; only gzip (.gz) is supported.`;
  else if (starts(0x28, 0xb5, 0x2f, 0xfd)) what = `${where} is zstd-compressed; only gzip (.gz) is supported.`;
  if (what) throw new ImportFileError('IMPORT_UNSUPPORTED', `${what} ${SUPPORTED}`);
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Turn stream errors into what a scientist can act on (zlib codes are Z_…). */
export function toFileError(err: unknown, context = ''): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
    return new ImportFileError(
      'IMPORT_MALFORMED',
      `The gzip file is damaged or incomplete (${String(e.message)})${context}. Compress the original file again and upload it.`
    );
  }
  return err;
}

// ---------------------------------------------------------------------------
// windows-1252 (Node's TextDecoder('windows-1252') decodes ISO-8859-1: 0x80 → U+0080, not €)

const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178
];

/** Decode windows-1252 bytes to a string. */
export function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80]));
}

// ---------------------------------------------------------------------------
// The transcoder: any supported encoding in, UTF-8 out

const SNIFF_BYTES = 4096;
/** A line longer than this is decided piecewise (at UTF-8 character boundaries) instead of held whole. */
const SEGMENT_MAX = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/** Encoding from the first bytes: BOM, or UTF-16 by its NUL pattern; `null` = an 8-bit text (decided line by line). */
export function sniffEncoding(head: Uint8Array): { encoding: 'utf-16le' | 'utf-16be' | null; bomLength: number; utf8Bom: boolean } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: null, bomLength: 3, utf8Bom: true };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2, utf8Bom: false };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2, utf8Bom: false };
  const n = Math.min(head.length, 1024) & ~1;
  if (n >= 8) {
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < n; i += 2) {
      if (head[i] === 0) evenNul++;
      if (head[i + 1] === 0) oddNul++;
    }
    const pairs = n / 2;
    if (oddNul > pairs * 0.3 && evenNul < pairs * 0.05) return { encoding: 'utf-16le', bomLength: 0, utf8Bom: false };
    if (evenNul > pairs * 0.3 && oddNul < pairs * 0.05) return { encoding: 'utf-16be', bomLength: 0, utf8Bom: false };
  }
  return { encoding: null, bomLength: 0, utf8Bom: false };
}

/** Binary data (an image, a database, a renamed workbook): NULs or many control characters. */
function looksBinary(head: Uint8Array): boolean {
  const n = Math.min(head.length, SNIFF_BYTES);
  if (n === 0) return false;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b)) bad++;
  }
  // A stray NUL or two in a text file is not binary (the readers replace them); dozens are.
  return bad > Math.max(8, n * 0.02);
}

/** The longest prefix of `buf` that does not end inside a UTF-8 multi-byte character. */
function utf8SafeCut(buf: Buffer): number {
  const end = buf.length;
  for (let back = 1; back <= 3 && back <= end; back++) {
    const b = buf[end - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? end - back : end;
  }
  return end;
}

export interface EncodingStats {
  /** Lines decoded as windows-1252 because they were not valid UTF-8. */
  fallbackLines: number;
  /** Whether any valid non-ASCII UTF-8 was seen. */
  utf8NonAscii: boolean;
}

/**
 * Transform: bytes of the file (after gunzip) → UTF-8 bytes, BOM removed.
 * Output chunks end at line breaks (or, inside a very long line, at a
 * character boundary), so they can be decoded piecewise.
 */
export class Utf8Transcoder extends Transform {
  private head: Buffer[] | null = [];
  private headLength = 0;
  private mode: 'adaptive' | 'utf-16le' | 'utf-16be' | null = null;
  private utf16: TextDecoder | null = null;
  private pending: Buffer = EMPTY;
  readonly stats: EncodingStats = { fallbackLines: 0, utf8NonAscii: false };

  constructor(
    private readonly declared: EncodingHint = 'auto',
    private readonly where = 'This file'
  ) {
    super();
  }

  /** Encoding as decided so far (final once the stream has ended). */
  get encoding(): TextEncodingName {
    if (this.mode === 'utf-16le' || this.mode === 'utf-16be') return this.mode;
    return this.stats.fallbackLines > 0 ? 'windows-1252' : 'utf-8';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.mode === null) {
        this.head!.push(chunk);
        this.headLength += chunk.length;
        if (this.headLength < SNIFF_BYTES) return done();
        this.decide(Buffer.concat(this.head!));
      } else this.feed(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.mode === null) this.decide(Buffer.concat(this.head!));
      if (this.utf16) {
        const rest = this.utf16.decode();
        if (rest) this.push(Buffer.from(rest, 'utf8'));
      } else if (this.pending.length) {
        this.push(this.convert(this.pending));
        this.pending = EMPTY;
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private decide(head: Buffer): void {
    this.head = null;
    const sniff = sniffEncoding(head);
    let body = head.subarray(sniff.bomLength);
    const declared = this.declared?.toLowerCase();
    const declared16 = declared === 'utf-16le' || declared === 'utf-16be' ? declared : null;
    const mode: 'utf-16le' | 'utf-16be' | null = sniff.encoding ?? declared16;
    if (mode) {
      this.mode = mode;
      // fatal: false — a stray unpaired byte becomes U+FFFD rather than failing the import.
      this.utf16 = new TextDecoder(mode, { ignoreBOM: false });
    } else {
      rejectUnsupported(body, this.where);
      if (looksBinary(body)) {
        throw new ImportFileError('IMPORT_UNSUPPORTED', `This file looks like binary data, not text. ${SUPPORTED}`);
      }
      this.mode = 'adaptive';
    }
    if (body.length) this.feed(body);
    body = EMPTY;
  }

  private feed(chunk: Buffer): void {
    if (this.utf16) {
      const text = this.utf16.decode(chunk, { stream: true });
      if (text) this.push(Buffer.from(text, 'utf8'));
      return;
    }
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let cut = data.lastIndexOf(0x0a) + 1;
    if (cut === 0) {
      const cr = data.lastIndexOf(0x0d) + 1; // classic Mac line ends
      cut = cr > 0 && cr < data.length ? cr : 0;
    }
    if (cut === 0) {
      if (data.length < SEGMENT_MAX) {
        this.pending = data === chunk ? Buffer.from(data) : data;
        return;
      }
      cut = utf8SafeCut(data) || data.length;
    }
    this.push(this.convert(data.subarray(0, cut)));
    // Copy the tail so a small remainder does not pin a large chunk in memory.
    this.pending = cut < data.length ? Buffer.from(data.subarray(cut)) : EMPTY;
  }

  /** Whole lines (or one piece of a long line) → UTF-8. */
  private convert(buf: Buffer): Buffer {
    if (isUtf8(buf)) {
      if (!this.stats.utf8NonAscii && !isAscii(buf)) this.stats.utf8NonAscii = true;
      return buf;
    }
    const parts: Buffer[] = [];
    let start = 0;
    while (start < buf.length) {
      let end = buf.indexOf(0x0a, start);
      end = end === -1 ? buf.length : end + 1;
      const line = buf.subarray(start, end);
      if (isUtf8(line)) {
        if (!this.stats.utf8NonAscii && !isAscii(line)) this.stats.utf8NonAscii = true;
        parts.push(line);
      } else {
        this.stats.fallbackLines++;
        parts.push(Buffer.from(decodeWindows1252(line), 'utf8'));
      }
      start = end;
    }
    return Buffer.concat(parts);
  }
}

// ---------------------------------------------------------------------------
// Opening a source

export interface SourceOptions {
  /** `gzip` forces gunzip; anything else (null, `auto`, undefined): by magic bytes. */
  compression?: CompressionHint;
  /**
   * A hint. 8-bit text is always decoded line by line (UTF-8 where valid,
   * else windows-1252), so a guess from the file's head cannot mis-decode its
   * tail; `utf-16le`/`utf-16be` select UTF-16 for files without a BOM.
   */
  encoding?: EncodingHint;
  /** The input is only the start of a file: a gzip stream cut off mid-way is not an error. */
  partial?: boolean;
  /** Read-buffer size; default 256 KiB. */
  highWaterMark?: number;
  /** Bounds on what a gzip file may expand to; default DEFAULT_EXPANSION_LIMITS. */
  expansion?: ExpansionLimits;
}

/**
 * How far a compressed upload may expand. The upload limit (IMPORT_MAX_BYTES)
 * bounds the compressed bytes only; gzip reaches ~1,000:1, so a 4 MB upload
 * can stand for 4 GB of rows. Both bounds are checked while decompressing, so
 * a bomb costs at most `maxBytes` of gunzip work, never memory (it streams).
 */
export interface ExpansionLimits {
  /** Decompressed bytes at most (IMPORT_MAX_EXPANDED_BYTES). */
  maxBytes: number;
  /** Decompressed ÷ compressed bytes at most (IMPORT_MAX_EXPANSION_RATIO)… */
  maxRatio: number;
  /**
   * …checked once this much is decompressed: a small file of repetitive text
   * may compress 200:1 and is harmless.
   */
  ratioAfterBytes: number;
}

export const DEFAULT_EXPANSION_LIMITS: ExpansionLimits = Object.freeze({
  maxBytes: 2 * 1024 ** 3,
  // Real CSV/SDF exports compress 4–20:1; 100:1 leaves room for very repetitive ones.
  maxRatio: 100,
  ratioAfterBytes: 16 * 1024 ** 2
});

const bytesInWords = (n: number) =>
  n >= 1024 ** 3 ? `${+(n / 1024 ** 3).toFixed(1)} GB` : n >= 1024 ** 2 ? `${Math.round(n / 1024 ** 2)} MB` : `${Math.round(n / 1024)} KB`;

/** Counts the bytes gunzip produces and stops the stream at the first bound crossed. */
function expansionGuard(limits: ExpansionLimits, compressedRead: () => number): Transform {
  let expanded = 0;
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      expanded += chunk.length;
      if (expanded > limits.maxBytes) {
        return done(
          new ImportFileError(
            'IMPORT_TOO_LARGE',
            `The compressed file expands to more than the ${bytesInWords(limits.maxBytes)} limit for decompressed imports; split it into smaller files.`,
            { limit_bytes: limits.maxBytes }
          )
        );
      }
      const compressed = compressedRead();
      if (expanded > limits.ratioAfterBytes && compressed > 0 && expanded / compressed > limits.maxRatio) {
        return done(
          new ImportFileError(
            'IMPORT_TOO_LARGE',
            `The compressed file expands more than ${limits.maxRatio} times its size (the limit for compressed imports); upload it uncompressed or split it.`,
            { limit_ratio: limits.maxRatio }
          )
        );
      }
      done(null, chunk);
    }
  });
}

export interface Source {
  /** UTF-8 bytes, BOM removed. Errors (corrupt gzip, unsupported file) arrive as stream errors. */
  readonly stream: Readable;
  readonly compression: Compression;
  /** Encoding as decided so far; final once `stream` has ended. */
  readonly encoding: TextEncodingName;
  readonly encodingStats: EncodingStats;
  /** Bytes of the file consumed so far (compressed bytes for gzip): progress without a pre-pass. */
  readonly bytesRead: number;
  /** Size of the file in bytes (compressed). */
  readonly sizeBytes: number;
  destroy(): void;
}

async function rawHead(input: SourceInput, n: number): Promise<{ head: Buffer; size: number }> {
  if (typeof input !== 'string') {
    const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    return { head: b.subarray(0, n), size: b.length };
  }
  const fh = await open(input, 'r').catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new AppError('NOT_FOUND', 'The uploaded file is no longer there; upload it again') : err;
  });
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(n, size));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

/** Open a file (or bytes) as a stream of UTF-8 text; see the module comment for how encoding is decided. */
export async function openSource(input: SourceInput, opts: SourceOptions = {}): Promise<Source> {
  const { head, size } = await rawHead(input, 16);
  // Magic bytes are the truth; an explicit 'gzip' is honoured (and fails clearly if the data is not gzip).
  const compression: Compression = opts.compression === 'gzip' || isGzip(head) ? 'gzip' : null;
  if (compression === null) rejectUnsupported(head);

  const highWaterMark = opts.highWaterMark ?? 256 * 1024;
  let bytesRead = 0;
  const raw: Readable =
    typeof input === 'string'
      ? createReadStream(input, { highWaterMark })
      : Readable.from(chunksOf(Buffer.from(input.buffer, input.byteOffset, input.byteLength), highWaterMark), { objectMode: false });
  const counter = new Transform({
    transform(chunk: Buffer, _e, done) {
      bytesRead += chunk.length;
      done(null, chunk);
    }
  });
  const transcoder = new Utf8Transcoder(opts.encoding ?? 'auto', compression ? 'The file inside the gzip' : 'This file');
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [raw, counter];
  if (compression === 'gzip') {
    stages.push(
      zlib.createGunzip({
        chunkSize: Math.max(64, Math.min(64 * 1024, highWaterMark)),
        // A preview gets the first part of a file: a gzip stream cut off mid-way is expected there.
        ...(opts.partial ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {})
      }),
      expansionGuard(opts.expansion ?? DEFAULT_EXPANSION_LIMITS, () => bytesRead)
    );
  }
  stages.push(transcoder);
  // pipeline destroys every stage (closing the file) on error or when the consumer stops early.
  pipeline(stages as unknown as [Readable, Transform], () => {});
  return {
    stream: transcoder,
    compression,
    get encoding() {
      return transcoder.encoding;
    },
    encodingStats: transcoder.stats,
    get bytesRead() {
      return bytesRead;
    },
    sizeBytes: size,
    destroy: () => {
      transcoder.destroy();
      raw.destroy();
    }
  };
}

function* chunksOf(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/**
 * The first `maxBytes` of the file as UTF-8 text (decompressed and decoded
 * as `openSource` does), for sniffing the format and delimiter. `complete` is
 * true when that is the whole file.
 */
export async function readHead(
  input: SourceInput,
  opts: SourceOptions & { maxBytes?: number } = {}
): Promise<{ text: string; complete: boolean; compression: Compression; encoding: TextEncodingName }> {
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  const src = await openSource(input, { ...opts, partial: true });
  const parts: Buffer[] = [];
  let length = 0;
  let complete = true;
  try {
    for await (const chunk of src.stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= maxBytes) {
        complete = false;
        break;
      }
    }
  } catch (err) {
    throw toFileError(err);
  } finally {
    src.destroy();
  }
  const all = Buffer.concat(parts);
  const cut = complete ? all.length : utf8SafeCut(all.subarray(0, maxBytes));
  return { text: all.subarray(0, cut).toString('utf8'), complete, compression: src.compression, encoding: src.encoding };
}

// ---------------------------------------------------------------------------
// Format and delimiter

const SDF_EXT = new Set(['.sdf', '.sd', '.mol', '.sdfile']);
const TSV_EXT = new Set(['.tsv', '.tab']);

/** Whether text looks like an SD file / molfile: `M  END`, `$$$$` or a V2000/V3000 counts line. */
export function hasSdfMarkers(text: string): boolean {
  return /^M {2}END\s*$/m.test(text) || /^\$\$\$\$\s*$/m.test(text) || /^[ \d]{6}.*V[23]000\s*$/m.test(text);
}

function headText(firstBytes: Uint8Array | string): string {
  if (typeof firstBytes === 'string') return firstBytes.replace(/^\ufeff/, '');
  let bytes = Buffer.from(firstBytes.buffer, firstBytes.byteOffset, firstBytes.byteLength);
  if (isGzip(bytes)) {
    try {
      bytes = zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return '';
    }
  }
  const sniff = sniffEncoding(bytes);
  if (sniff.encoding) return new TextDecoder(sniff.encoding).decode(bytes.subarray(sniff.bomLength));
  // Markers and delimiters are ASCII; latin1 never fails.
  return bytes.subarray(sniff.bomLength).toString('latin1');
}

/**
 * CSV, TSV or SDF, from the file name (`.gz` stripped) and the first bytes
 * (raw, gzip or not, or text). Content wins when it is clear: `M  END`/`$$$$`
 * → sdf whatever the name; a `.csv` that is tab-delimited → tsv; a
 * semicolon-delimited file (European Excel) is csv (see `detectDelimiter`).
 */
export function detectFormat(filename: string, firstBytes: Uint8Array | string): ImportFormat {
  const name = filename.toLowerCase().replace(/\.(gz|gzip)$/, '');
  const ext = path.extname(name);
  const text = headText(firstBytes);
  if (hasSdfMarkers(text)) return 'sdf';
  // An .sdf whose head shows no molfile is judged by its content, unless there is too little to judge.
  if (SDF_EXT.has(ext) && text.trim().length < 64) return 'sdf';
  const sniff = sniffDelimiter(text);
  if (sniff.confident) return sniff.delimiter === '\t' ? 'tsv' : 'csv';
  if (SDF_EXT.has(ext)) return 'sdf';
  if (TSV_EXT.has(ext)) return 'tsv';
  return sniff.delimiter === '\t' ? 'tsv' : 'csv';
}

/** Occurrences of `ch` in a line outside double-quoted parts. */
function countOutsideQuotes(line: string, ch: string): number {
  let n = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ch && !quoted) n++;
  }
  return n;
}

/**
 * The field delimiter of delimited text: the candidate (tab, semicolon,
 * comma) whose count per line is the same on the header and the most sample
 * lines. `1,5;2,25` rows under a `Name;SMILES;IC50` header are semicolon-
 * delimited: their commas vary, their semicolons do not. `confident` is false
 * when no candidate occurs at all (a single-column file).
 */
export function sniffDelimiter(text: string): { delimiter: Delimiter; confident: boolean } {
  const hint = excelSepHint(text);
  if (hint) return { delimiter: hint.delimiter, confident: true };
  let lines = text.split(/\r\n|\n|\r/);
  // The last line of a head may be cut off mid-way.
  if (lines.length > 2) lines = lines.slice(0, -1);
  lines = lines.filter((l) => l.trim() !== '').slice(0, 50);
  if (lines.length === 0) return { delimiter: ',', confident: false };
  let best: { delimiter: Delimiter; score: number } | null = null;
  for (const d of ['\t', ';', ','] as const) {
    const counts = lines.map((l) => countOutsideQuotes(l, d));
    if (counts[0] === 0) continue;
    const same = counts.filter((c) => c === counts[0]).length / counts.length;
    // Consistency first, then more columns; ties keep the earlier candidate (tab, then semicolon).
    const score = same * 10_000 + Math.min(counts[0], 9_999);
    if (!best || score > best.score) best = { delimiter: d, score };
  }
  return best ? { delimiter: best.delimiter, confident: true } : { delimiter: ',', confident: false };
}

/** Excel's `sep=;` first line (written for Excel, naming the delimiter); not a header, not a row. */
export function excelSepHint(text: string): { delimiter: Delimiter; length: number } | null {
  const m = /^\ufeff?sep=([,;\t])[ ]*(?:\r\n|\n|\r)/i.exec(text);
  return m ? { delimiter: m[1] as Delimiter, length: m[0].length } : null;
}

/** The delimiter of a CSV/TSV text (`,` when there is nothing to go by). */
export function detectDelimiter(text: string): Delimiter {
  return sniffDelimiter(text.replace(/^\ufeff/, '')).delimiter;
}
