/**
 * The ingest readers against the files scientists actually upload: each bad
 * input is generated here (in a temp dir, plain and gzipped) and the test
 * asserts what the user would notice — a clear file-level error, or every row
 * accounted for with the bad ones explained. Small committed fixtures live in
 * fixtures/. Memory is measured in a child process with a small heap.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importMappingSchema } from '../../common/import-mapping';
import { checkMappingAgainstColumns, previewFile } from '../preview';
import { countRows, importErrorCode, openReader, readRows, type ReadOptions, type ReadRow } from '../readers';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const fixtures = path.join(here, 'fixtures');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'crosslink-ingest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Write a file (gzipped when asked; `.gz` appended) and return its path. */
async function put(name: string, content: string | Buffer, gz: boolean): Promise<string> {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const file = path.join(dir, gz ? `${name}.gz` : name);
  await writeFile(file, gz ? gzipSync(bytes) : bytes);
  return file;
}

async function rowsOf(file: string, opts: Partial<ReadOptions> = {}): Promise<ReadRow[]> {
  const out: ReadRow[] = [];
  for await (const r of readRows(file, { format: 'csv', ...opts })) out.push(r);
  return out;
}

async function fileError(promise: Promise<unknown>): Promise<Error & { code: string; details: Array<Record<string, unknown>> }> {
  return promise.then(
    () => {
      throw new Error('expected a file-level error');
    },
    (e) => e
  );
}

/** Deterministic pseudo-random numbers (the garbage must be the same on every run). */
function prng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

describe.each([
  ['plain', false],
  ['gzip', true]
])('%s uploads', (_kind, gz) => {
  const csvName = (n: string) => (gz ? `${n}.csv.gz` : `${n}.csv`);

  it('an empty file: "The file is empty", from the preview and from the import', async () => {
    for (const [name, content] of [
      ['empty', ''],
      ['blank-lines', '\r\n\r\n   \r\n']
    ]) {
      const file = await put(`${name}.csv`, content, gz);
      const fromPreview = await fileError(previewFile(file, { filename: csvName(name) }));
      expect(importErrorCode(fromPreview)).toBe('IMPORT_EMPTY');
      expect(fromPreview.message).toBe('The file is empty: it has no column names and no rows.');
      expect(fromPreview.code).toBe('VALIDATION_ERROR');
      expect(fromPreview.details).toEqual([{ field: 'file', code: 'IMPORT_EMPTY', message: fromPreview.message }]);
      const fromImport = await fileError(rowsOf(file));
      expect(fromImport.message).toBe(fromPreview.message);
    }
  });

  it('a file with only a header: names the columns and says there are no rows', async () => {
    const file = await put('header-only.csv', 'SMILES,Compound Name,IC50 (nM)\r\n\r\n', gz);
    const err = await fileError(rowsOf(file));
    expect(importErrorCode(err)).toBe('IMPORT_EMPTY');
    expect(err.message).toBe('The file has column names (SMILES, Compound Name, IC50 (nM)) but no data rows.');
  });

  it('a file without a header: says the first row looks like data', async () => {
    const file = await put('no-header.csv', 'CC(=O)Oc1ccccc1C(=O)O,Aspirin,5.2\nCCO,Ethanol,7.1\n', gz);
    const err = await fileError(previewFile(file, { filename: csvName('no-header') }));
    expect(importErrorCode(err)).toBe('IMPORT_NO_HEADER');
    expect(err.message).toBe(
      'The first row looks like data (it contains "CC(=O)Oc1ccccc1C(=O)O"), not column names. ' +
        'Add a header row naming each column (e.g. SMILES, Name, IC50 (nM)) and upload again.'
    );
  });

  it('no structure column: no suggestion, and a saved template is refused naming what is missing', async () => {
    const file = await put('no-structure.csv', 'Compound ID,Name,IC50 (nM)\nCX-1,Aspirin,5\nCX-2,Caffeine,7\n', gz);
    const preview = await previewFile(file, { filename: csvName('no-structure') });
    expect(preview.suggestedMapping).toBeNull();
    const template = importMappingSchema.parse({
      structure: { column: 'SMILES', type: 'smiles' },
      identifiers: [{ column: 'Sponsor ID', label: 'sponsor_id' }],
      properties: [{ column: 'IC50 (nM)', name: 'IC50', unit: 'nM' }]
    });
    const err = (() => {
      try {
        checkMappingAgainstColumns(template, preview.columns);
        return null;
      } catch (e) {
        return e as Error & { code: string; details: unknown[] };
      }
    })();
    expect(err?.code).toBe('VALIDATION_ERROR');
    expect(err?.message).toBe('The file has no structure column "SMILES" (also missing: "Sponsor ID"). The file\'s columns are: Compound ID, Name, IC50 (nM)');
    expect(err?.details).toEqual([
      { field: 'mapping.structure.column', message: 'column "SMILES" (structure) is not in the file', column: 'SMILES' },
      { field: 'mapping.identifiers.0.column', message: 'column "Sponsor ID" (identifier "sponsor_id") is not in the file', column: 'Sponsor ID' }
    ]);
  });

  it('wrong encoding: a Latin-1 header (Ångström, µM) and values decode right; a UTF-8 BOM is stripped', async () => {
    // windows-1252 bytes: Å = 0xC5, µ = 0xB5, € = 0x80 (Node's 'latin1' cannot write €)
    const cp1252 = (text: string) => Buffer.from(text.replace(/€/g, '\x80'), 'latin1');
    const latin = await put('latin1.csv', cp1252('SMILES,Ångström distance,Solubility (µM),Note\nCCO,3.4 Å,12 µM,\nCCN,2.9 Å,5,€ 12 per mg\n'), gz);
    const preview = await previewFile(latin, { filename: csvName('latin1') });
    expect(preview.encoding).toBe('windows-1252');
    expect(preview.columns).toEqual(['SMILES', 'Ångström distance', 'Solubility (µM)', 'Note']);
    expect(preview.rows).toEqual([
      { SMILES: 'CCO', 'Ångström distance': '3.4 Å', 'Solubility (µM)': '12 µM', Note: '' },
      { SMILES: 'CCN', 'Ångström distance': '2.9 Å', 'Solubility (µM)': '5', Note: '€ 12 per mg' }
    ]);
    expect(preview.suggestedMapping?.properties).toEqual([
      { column: 'Ångström distance', name: 'Ångström distance', unit: null },
      { column: 'Solubility (µM)', name: 'Solubility', unit: 'µM' }
    ]);

    const bom = await put('bom.csv', '\ufeffSMILES,Name\nCCO,Ångström\n', gz);
    const reader = await openReader(bom, { format: 'csv' });
    expect(reader.columns).toEqual(['SMILES', 'Name']);
    expect(() => checkMappingAgainstColumns(importMappingSchema.parse({ structure: { column: 'SMILES', type: 'smiles' } }), reader.columns)).not.toThrow();
    const rows = [];
    for await (const r of reader) rows.push(r);
    expect(rows).toMatchObject([{ rowNumber: 1, fields: { SMILES: 'CCO', Name: 'Ångström' } }]);
  });

  it('quoted values with line breaks stay one row each, with the lines they span', async () => {
    const file = await put('quoted.csv', 'SMILES,Name,Comment\r\nCCO,"Ethanol, absolute","first line\r\nsecond line"\r\nCCN,Ethylamine,"say ""hi"""\r\n', gz);
    const rows = await rowsOf(file);
    expect(rows).toEqual([
      {
        rowNumber: 1,
        line: 2,
        endLine: 3,
        fields: { SMILES: 'CCO', Name: 'Ethanol, absolute', Comment: 'first line\r\nsecond line' },
        raw: 'CCO,"Ethanol, absolute","first line\r\nsecond line"',
        rawTruncated: false
      },
      { rowNumber: 2, line: 4, endLine: 4, fields: { SMILES: 'CCN', Name: 'Ethylamine', Comment: 'say "hi"' }, raw: 'CCN,Ethylamine,"say ""hi"""', rawTruncated: false }
    ]);
  });

  it('ragged rows are error rows saying what is wrong; the rows around them import', async () => {
    const file = await put('ragged.csv', 'SMILES,Name,IC50 (nM)\nCCO,a,1\nCCN,b\nCCC,c,3,4\nCCCC,d,4\n', gz);
    const rows = await rowsOf(file);
    expect(rows.map((r) => ('error' in r ? `${r.rowNumber}: ${r.error.code}: ${r.error.reason}` : `${r.rowNumber}: ok`))).toEqual([
      '1: ok',
      '2: ROW_RAGGED: Row 2 (line 3) has 2 values but the header has 3 columns.',
      '3: ROW_RAGGED: Row 3 (line 4) has 4 values but the header has 3 columns. A value probably contains a comma; such values must be in double quotes.',
      '4: ok'
    ]);
  });

  it('20% garbage rows: every input row comes out exactly once, good rows intact', async () => {
    const rand = prng(42);
    const N = 10_000;
    const expected: Array<{ kind: 'good'; fields: Record<string, string> } | { kind: 'garbage'; error: boolean }> = [];
    const parts: Buffer[] = [Buffer.from('SMILES,Name,IC50 (nM)\n')];
    const junk = (n: number, alphabet: string) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    for (let i = 0; i < N; i++) {
      if (rand() >= 0.2) {
        const fields = { SMILES: `C${'C'.repeat(i % 6)}O`, Name: `cpd-${i}`, 'IC50 (nM)': String((i * 7) % 1000) };
        expected.push({ kind: 'good', fields });
        parts.push(Buffer.from(`${fields.SMILES},${fields.Name},${fields['IC50 (nM)']}\n`));
        continue;
      }
      const kind = Math.floor(rand() * 5);
      if (kind === 0) {
        // keyboard mash: one field
        parts.push(Buffer.from(junk(1 + Math.floor(rand() * 80), 'abcXYZ019 !#$%&()*+-./:<=>?@[]^_{|}~') + '\n'));
        expected.push({ kind: 'garbage', error: true });
      } else if (kind === 1) {
        // bytes that are not text in any encoding we read, a NUL among them; one field
        const bytes = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => 0x80 + Math.floor(rand() * 0x80));
        bytes.splice(Math.floor(rand() * bytes.length), 0, 0x00);
        parts.push(Buffer.from([...bytes, 0x0a]));
        expected.push({ kind: 'garbage', error: true });
      } else if (kind === 2) {
        // too many fields
        parts.push(Buffer.from(`CCO,x,${junk(3, 'abc')},${junk(3, 'xyz')},more\n`));
        expected.push({ kind: 'garbage', error: true });
      } else if (kind === 3) {
        // too few
        parts.push(Buffer.from(`${junk(5, 'CNOc1()=')}\n`.replace(/^\(/, 'C(')));
        expected.push({ kind: 'garbage', error: true });
      } else {
        // the right number of fields, with stray quotes inside values: a data row (the chemistry rejects it later)
        parts.push(Buffer.from(`x"y,1"2,z"${junk(4, 'abc')}\n`));
        expected.push({ kind: 'garbage', error: false });
      }
    }
    const file = await put('garbage.csv', Buffer.concat(parts), gz);

    const rows = await rowsOf(file);
    expect(rows).toHaveLength(N); // total rows out == data rows in
    expect(await countRows(file, { format: 'csv' })).toBe(N);
    let errors = 0;
    rows.forEach((row, i) => {
      expect(row.rowNumber).toBe(i + 1);
      expect(row.line).toBe(i + 2);
      const want = expected[i];
      if (want.kind === 'good') expect(row).toMatchObject({ fields: want.fields });
      else expect('error' in row).toBe(want.error);
      if ('error' in row) {
        errors++;
        expect(row.error.code).toBe('ROW_RAGGED');
        expect(row.raw).not.toContain('\0');
      }
    });
    expect(errors).toBe(expected.filter((e) => e.kind === 'garbage' && e.error).length);
    expect(errors).toBeGreaterThan(N * 0.15);

    // A crashed import resumes after its last committed row with the same numbering.
    const rest = await rowsOf(file, { startAfterRow: 4321 });
    expect(rest).toEqual(rows.slice(4321));
  });

  it('a 10 MB line among good rows: one ROW_TOO_LARGE row, everything else imports', async () => {
    const good = Array.from({ length: 50 }, (_, i) => `C${'C'.repeat(i % 4)}N,cpd-${i},${i}\n`);
    const content = 'SMILES,Name,IC50 (nM)\n' + good.slice(0, 25).join('') + `${'C'.repeat(10 * 1024 * 1024)},monster,1\n` + good.slice(25).join('');
    const file = await put('ten-mb-line.csv', content, gz);
    const rows = await rowsOf(file);
    expect(rows).toHaveLength(51);
    const bad = rows.filter((r) => 'error' in r);
    expect(bad).toEqual([
      {
        rowNumber: 26,
        line: 27,
        endLine: 27,
        raw: 'C'.repeat(2000),
        rawTruncated: true,
        error: {
          code: 'ROW_TOO_LARGE',
          reason: 'Row 26 (line 27) is longer than 1,000,000 characters, so it was not read. The rows after it were read as usual.'
        }
      }
    ]);
    expect(rows.filter((r) => !('error' in r)).map((r) => ('fields' in r ? r.fields.Name : ''))).toEqual(good.map((_, i) => `cpd-${i}`));
    expect(rows[50]).toMatchObject({ rowNumber: 51, line: 52 });
  });

  it('a broken SD record between good ones: an error row for that record only', async () => {
    const mol = (t: string) =>
      `${t}\n  RDKit          2D\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n    1.2990    0.7500    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\n  1  2  1  0\nM  END\n`;
    const sdf = `${mol('CPD-1')}> <ID>\nA1\n\n$$$$\n%PDF-garbage\n\x00\x01 binary bits\n$$$$\n${mol('CPD-3')}> <ID>\nA3\n\n$$$$\n`;
    const file = await put('broken.sdf', sdf, gz);
    const preview = await previewFile(file, { filename: gz ? 'broken.sdf.gz' : 'broken.sdf' });
    expect(preview.format).toBe('sdf');
    expect(preview.rows.map((r) => r.ID)).toEqual(['A1', 'A3']);
    expect(preview.rowErrors).toEqual([
      { rowNumber: 2, line: 13, code: 'SDF_RECORD_INVALID', reason: 'Record 2 (lines 13–15) has no "M  END" line, so it is not a complete molfile.' }
    ]);
    const rows = await rowsOf(file, { format: 'sdf' });
    expect(rows.map((r) => ('error' in r ? r.error.code : r.fields.ID))).toEqual(['A1', 'SDF_RECORD_INVALID', 'A3']);
    expect(rows[1].raw).toBe('%PDF-garbage\n\ufffd\u0001 binary bits');
  });
});

describe('committed fixtures', () => {
  it('a Latin-1 semicolon export from a European CRO', async () => {
    const file = path.join(fixtures, 'cro-results-latin1.csv');
    const preview = await previewFile(file, { filename: 'cro-results-latin1.csv' });
    expect(preview).toMatchObject({ format: 'csv', encoding: 'windows-1252', delimiter: ';', decimalComma: true });
    expect(preview.columns).toEqual(['Verbindung', 'SMILES', 'CRO Batch ID', 'Löslichkeit (µM)', 'IC50 (nM)', 'Ångström-Abstand', 'Kommentar']);
    expect(preview.suggestedMapping).toEqual({
      structure: { column: 'SMILES', type: 'smiles' },
      name: null,
      identifiers: [{ column: 'CRO Batch ID', label: 'cro_batch_id' }],
      properties: [
        { column: 'Löslichkeit (µM)', name: 'Löslichkeit', unit: 'µM' },
        { column: 'IC50 (nM)', name: 'IC50', unit: 'nM' },
        { column: 'Ångström-Abstand', name: 'Ångström-Abstand', unit: null }
      ]
    });
    const rows = await rowsOf(file);
    expect(rows.map((r) => [r.rowNumber, r.line, 'error' in r ? r.error.code : r.fields.Verbindung])).toEqual([
      [1, 2, 'CX-0001'],
      [2, 3, 'CX-0002'],
      [3, 5, 'CX-0003'],
      [4, 6, 'ROW_RAGGED'],
      [5, 8, 'CX-0005']
    ]);
    expect(rows[1]).toMatchObject({ endLine: 4, fields: { Kommentar: 'zwei\r\nZeilen' } });
    expect(rows[2]).toMatchObject({ fields: { Kommentar: 'Ausreißer – wiederholen' } });
    expect(rows[4]).toMatchObject({ fields: { 'IC50 (nM)': '1.234,5', Kommentar: '€ 12 pro mg' } });
  });

  it('an SD file with a garbage record and two molecules run together', async () => {
    const file = path.join(fixtures, 'hits.sdf');
    const rows = await rowsOf(file, { format: 'sdf' });
    expect(rows.map((r) => ('error' in r ? r.error.reason : r.fields['Corporate ID']))).toEqual([
      'CX-1',
      'Record 2 (lines 18–23) has no "M  END" line, so it is not a complete molfile (it has data items, but the molecule block before them is incomplete).',
      'CX-3',
      'Record 4 (lines 39–58) contains two molecules (two "M  END" lines); a "$$$$" separator line seems to be missing between them.',
      'CX-5'
    ]);
    expect(rows[4]).toMatchObject({ fields: { $title: 'CPD-5', Note: 'multi\nline' } });
  });

  it('Excel "Unicode Text" (UTF-16 tab-delimited) and Excel "CSV UTF-8" (with BOM)', async () => {
    const unicode = await previewFile(path.join(fixtures, 'excel-unicode.txt'), { filename: 'excel-unicode.txt' });
    expect(unicode).toMatchObject({
      format: 'tsv',
      encoding: 'utf-16le',
      columns: ['SMILES', 'Name', 'Solubility (µM)'],
      rows: [
        { SMILES: 'CCO', Name: 'Ångström-ol', 'Solubility (µM)': '12.5' },
        { SMILES: 'CCN', Name: 'µ-amine', 'Solubility (µM)': '3' }
      ]
    });
    const bom = await previewFile(path.join(fixtures, 'bom-utf8.csv'), { filename: 'bom-utf8.csv' });
    expect(bom).toMatchObject({ encoding: 'utf-8', columns: ['SMILES', 'Name', 'IC50 (nM)'], rows: [{ Name: 'Ångström' }, { Name: 'µ-amine' }] });
  });
});

describe('bounded memory (child process with a 48 MB heap)', () => {
  /** Stream ~`mb` MB of rows to a file; the last row is Latin-1 (the first non-UTF-8 byte sits at the end). */
  async function generate(file: string, mb: number, extra?: string): Promise<number> {
    const out = createWriteStream(file);
    out.write('SMILES,Name,Batch,IC50 (nM),Comment\n');
    let bytes = 0;
    let n = 0;
    let chunk = '';
    while (bytes < mb * 1024 * 1024) {
      const line = `CC(=O)Oc1ccccc1C(=O)O,Compound-${n},B${n % 13},${((n % 1000) / 7).toFixed(3)},"a comment, with a comma ${n}"\n`;
      chunk += line;
      bytes += line.length;
      n++;
      if (n === 1000 && extra) chunk += extra;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        chunk = '';
      }
    }
    out.write(chunk);
    out.write(Buffer.from('CCN,Ångström µM,B0,1,late Latin-1\n', 'latin1'));
    await new Promise<void>((r) => out.end(() => r()));
    return n + 1 + (extra ? 1 : 0);
  }

  async function readInChild(file: string) {
    const { stdout } = await run(
      process.execPath,
      ['--max-old-space-size=48', '--import', 'tsx', path.join(fixtures, 'read-all.ts'), file, 'csv'],
      { cwd: repoRoot, maxBuffer: 1 << 20 }
    );
    return JSON.parse(stdout.trim().split('\n').pop()!) as {
      rows: number;
      errorRows: number;
      last: Record<string, string>;
      peakGrowthMB: number;
    };
  }

  it('reads a ~50 MB file with bounded RSS growth, decoding a Latin-1 byte found at the very end', { timeout: 180_000 }, async () => {
    const file = path.join(dir, 'fifty-mb.csv');
    const expectedRows = await generate(file, 50);
    const r = await readInChild(file);
    expect(r.rows).toBe(expectedRows);
    expect(r.errorRows).toBe(0);
    expect(r.last).toEqual({ SMILES: 'CCN', Name: 'Ångström µM', Batch: 'B0', 'IC50 (nM)': '1', Comment: 'late Latin-1' });
    // Holding the file would add at least its 50 MB; streaming stays well below.
    expect(r.peakGrowthMB).toBeLessThan(64);
  });

  it('keeps memory bounded across a 10 MB line', { timeout: 180_000 }, async () => {
    const file = path.join(dir, 'with-huge-line.csv');
    const expectedRows = await generate(file, 20, `${'C'.repeat(10 * 1024 * 1024)},monster,B1,1,x\n`);
    const r = await readInChild(file);
    expect(r.rows).toBe(expectedRows);
    expect(r.errorRows).toBe(1);
    expect(r.peakGrowthMB).toBeLessThan(64);
  });
});
