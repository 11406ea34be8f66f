/**
 * SD file rows: one row per record between `$$$$` lines, its molfile as
 * `$molblock`, its title as `$title` and one field per data item (see
 * readers.ts for the promise every reader keeps).
 */
import { SDF_MOLBLOCK_COLUMN, SDF_TITLE_COLUMN } from '../common/import-mapping';
import {
  capRaw,
  Chunks,
  clean,
  fmt,
  newStats,
  nextNonBlank,
  RAW_CAP,
  rowReader,
  setField,
  type ChunkOptions,
  type ReadOptions,
  type ReadRow,
  type RecordSource,
  type RowReader
} from './rows';
import { ImportFileError, type Source, type SourceInput } from './source';

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

class SdfRecords implements RecordSource<SdfItem> {
  private chunks!: Chunks;
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
    private readonly opts: ChunkOptions & { maxRowChars: number }
  ) {}

  get source(): Source {
    return this.chunks.source;
  }

  get linesRead(): number {
    return this.lineNo;
  }

  async open(): Promise<void> {
    this.chunks = await Chunks.open(this.input, this.opts);
  }

  close(): void {
    this.finished = true;
    this.chunks?.destroy();
  }

  async next(): Promise<SdfItem | null> {
    for (;;) {
      if (this.outIndex < this.out.length) return this.out[this.outIndex++];
      this.out = [];
      this.outIndex = 0;
      if (this.finished) return null;
      const chunk = await this.chunks.next(this.lineNo > 0 ? this.lineNo : null);
      if (!chunk) {
        this.flushEnd();
        this.finished = true;
      } else this.split(chunk);
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

/** Open an SD file: reads the first records (for the column list), so file-level problems are thrown here. */
export async function openSdfReader(input: SourceInput, opts: ReadOptions, maxRowChars: number): Promise<RowReader> {
  const partial = opts.partial ?? false;
  const records = new SdfRecords(input, { maxRowChars, encoding: opts.encoding, compression: opts.compression, partial, chunkBytes: opts.chunkBytes, expansion: opts.expansion });
  await records.open();
  const stats = newStats(records.source);
  const nextRecord = () => nextNonBlank(records, blankRecord, stats);

  // Peek at the first records for the column list (bounded: 20 records or 1 MB).
  const peeked: SdfItem[] = [];
  try {
    let chars = 0;
    while (peeked.length < 20 && chars < 1_000_000) {
      const r = await nextRecord();
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

  return rowReader({
    format: 'sdf',
    columns,
    delimiter: null,
    decimalComma: false,
    records,
    stats,
    head: peeked,
    next: nextRecord,
    toRow,
    terminated: (r) => r.terminated,
    partial,
    startAfterRow: opts.startAfterRow ?? 0
  });
}
