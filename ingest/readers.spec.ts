import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  countRows,
  importErrorCode,
  LineSkipper,
  openReader,
  parseSdfRecord,
  readRows,
  scanRows,
  uniqueColumnNames,
  type ReadOptions,
  type ReadRow
} from './readers';

async function all(input: string | Buffer, opts: Partial<ReadOptions> = {}): Promise<ReadRow[]> {
  const rows: ReadRow[] = [];
  for await (const r of readRows(typeof input === 'string' ? Buffer.from(input) : input, { format: 'csv', ...opts })) rows.push(r);
  return rows;
}
const fieldsOf = (rows: ReadRow[]) => rows.map((r) => ('error' in r ? r.error.code : r.fields));
async function fileError(input: string | Buffer, opts: Partial<ReadOptions> = {}) {
  return all(input, opts).then(
    () => {
      throw new Error('expected a file-level error');
    },
    (e) => e as Error & { code: string }
  );
}

describe('CSV/TSV rows', () => {
  it('numbers data rows from 1, with physical lines, trimmed values and raw text', async () => {
    const rows = await all('SMILES,Name,IC50 (nM)\r\nCCO, ethanol ,5\r\nCCN,ethylamine,<10\r\n');
    expect(rows).toEqual([
      { rowNumber: 1, line: 2, endLine: 2, fields: { SMILES: 'CCO', Name: 'ethanol', 'IC50 (nM)': '5' }, raw: 'CCO, ethanol ,5', rawTruncated: false },
      { rowNumber: 2, line: 3, endLine: 3, fields: { SMILES: 'CCN', Name: 'ethylamine', 'IC50 (nM)': '<10' }, raw: 'CCN,ethylamine,<10', rawTruncated: false }
    ]);
  });

  it('reads quoted values with delimiters, quotes and line breaks', async () => {
    const rows = await all('SMILES,Note\nCCO,"a, b"\nCCN,"say ""hi"""\nCCC,"line 1\nline 2\r\nline 3"\nCCCC,last\n');
    expect(fieldsOf(rows)).toEqual([
      { SMILES: 'CCO', Note: 'a, b' },
      { SMILES: 'CCN', Note: 'say "hi"' },
      { SMILES: 'CCC', Note: 'line 1\nline 2\r\nline 3' },
      { SMILES: 'CCCC', Note: 'last' }
    ]);
    expect(rows.map((r) => [r.rowNumber, r.line, r.endLine])).toEqual([
      [1, 2, 2],
      [2, 3, 3],
      [3, 4, 6],
      [4, 7, 7]
    ]);
  });

  it('reads a last row without a final newline, and mixed line endings', async () => {
    const rows = await all('a,b\r\n1,2\n3,4\r5,6');
    expect(fieldsOf(rows)).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: '4' },
      { a: '5', b: '6' }
    ]);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4]);
  });

  it('passes over blank lines and empty rows without numbering them', async () => {
    const reader = await openReader(Buffer.from('\n\nSMILES,Name\n\nCCO,a\n,\n  ,  \nCCN,b\n\n\n'), { format: 'csv' });
    const rows = [];
    for await (const r of reader) rows.push(r);
    expect(rows.map((r) => [r.rowNumber, r.line])).toEqual([
      [1, 5],
      [2, 8]
    ]);
    expect(reader.stats).toMatchObject({ rows: 2, errorRows: 0, blankRows: 7, done: true });
  });

  it('turns ragged rows into error rows and reads on', async () => {
    const rows = await all('SMILES,Name,IC50\nCCO,a,1\nCCN,b\nCCC,c,3,extra\nCCCC,d,4\nCCCCC,e,5,,\n');
    expect(fieldsOf(rows)).toEqual([
      { SMILES: 'CCO', Name: 'a', IC50: '1' },
      'ROW_RAGGED',
      'ROW_RAGGED',
      { SMILES: 'CCCC', Name: 'd', IC50: '4' },
      // Extra empty fields lose nothing (Excel pads rows with trailing delimiters).
      { SMILES: 'CCCCC', Name: 'e', IC50: '5' }
    ]);
    const [, few, many] = rows;
    expect(few).toMatchObject({ rowNumber: 2, raw: 'CCN,b', error: { reason: 'Row 2 (line 3) has 2 values but the header has 3 columns.' } });
    expect(many).toMatchObject({
      rowNumber: 3,
      error: { reason: 'Row 3 (line 4) has 4 values but the header has 3 columns. A value probably contains a comma; such values must be in double quotes.' }
    });
  });

  it('explains a ragged row that swallowed lines through a stray quote', async () => {
    const rows = await all('SMILES,Name\nCCO,"oops\nCCN,b\nCCC,c"x,y\nCCCC,d\n');
    expect(rows[0]).toMatchObject({
      rowNumber: 1,
      line: 2,
      endLine: 4,
      raw: 'CCO,"oops\nCCN,b\nCCC,c"x,y',
      error: {
        code: 'ROW_RAGGED',
        reason:
          'Row 1 (lines 2–4) has 3 values but the header has 2 columns. A value probably contains a comma; such values must be in double quotes. ' +
          'It runs over lines 2–4, which usually means a quote (") is not closed.'
      }
    });
    expect(rows.slice(1)).toEqual([{ rowNumber: 2, line: 5, endLine: 5, fields: { SMILES: 'CCCC', Name: 'd' }, raw: 'CCCC,d', rawTruncated: false }]);
  });

  it('reads a quote inside an unquoted value as text', async () => {
    expect(fieldsOf(await all('Name,Size\n5" tube,big\nx"y"z,small\n'))).toEqual([
      { Name: '5" tube', Size: 'big' },
      { Name: 'x"y"z', Size: 'small' }
    ]);
  });

  it('makes duplicate and blank headers unique', async () => {
    const reader = await openReader(Buffer.from('\ufeff Name ,SMILES,Name,,Name_2,Name\nA,CCO,B,C,D,E\n'), { format: 'csv' });
    expect(reader.columns).toEqual(['Name', 'SMILES', 'Name_3', 'Column_4', 'Name_2', 'Name_4']);
    const [row] = await all('Name,SMILES,Name,,Name_2,Name\nA,CCO,B,C,D,E\n');
    expect(row).toMatchObject({ fields: { Name: 'A', SMILES: 'CCO', Name_3: 'B', Column_4: 'C', Name_2: 'D', Name_4: 'E' } });
    reader.close();
  });

  it('keeps odd header names as plain keys (no prototype tricks)', async () => {
    const [row] = await all('__proto__,constructor,SMILES\nx,y,CCO\n');
    expect(Object.keys((row as { fields: object }).fields)).toEqual(['__proto__', 'constructor', 'SMILES']);
    expect(Object.getPrototypeOf((row as { fields: object }).fields)).toBe(Object.prototype);
  });

  it('replaces NUL characters (Postgres text cannot hold them)', async () => {
    const [row] = await all('SMILES,Name\nCCO,a\0b\n');
    expect(row).toMatchObject({ fields: { Name: 'a\ufffdb' }, raw: 'CCO,a\ufffdb' });
  });

  it('reads TSV and semicolon CSV (with decimal commas)', async () => {
    expect(fieldsOf(await all('SMILES\tNote\nCCO\ta, b; c\n', { format: 'tsv' }))).toEqual([{ SMILES: 'CCO', Note: 'a, b; c' }]);
    const reader = await openReader(Buffer.from('Name;SMILES;IC50 (nM)\nA;CCO;1,5\nB;CCN;2,25\n'), { format: 'csv' });
    expect(reader.delimiter).toBe(';');
    expect(reader.decimalComma).toBe(true);
    const rows = [];
    for await (const r of reader) rows.push(r);
    expect(fieldsOf(rows)).toEqual([
      { Name: 'A', SMILES: 'CCO', 'IC50 (nM)': '1,5' },
      { Name: 'B', SMILES: 'CCN', 'IC50 (nM)': '2,25' }
    ]);
  });

  it('follows an Excel "sep=" line and does not take it for the header', async () => {
    const reader = await openReader(Buffer.from('sep=;\r\nName;SMILES\r\nA,1;CCO\r\n'), { format: 'csv' });
    expect(reader.delimiter).toBe(';');
    expect(reader.columns).toEqual(['Name', 'SMILES']);
    const rows = [];
    for await (const r of reader) rows.push(r);
    expect(rows).toEqual([{ rowNumber: 1, line: 3, endLine: 3, fields: { Name: 'A,1', SMILES: 'CCO' }, raw: 'A,1;CCO', rawTruncated: false }]);
    expect(reader.stats.blankRows).toBe(1);
  });

  it('guesses decimal commas in a tab-delimited European export', async () => {
    const reader = await openReader(Buffer.from('Name\tIC50\nA\t0,25\nB\t12,5\n'), { format: 'tsv' });
    expect(reader.decimalComma).toBe(true);
    reader.close();
  });

  it('reads UTF-16 (Excel "Unicode Text") and Latin-1', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('SMILES\tName\r\nCCO\tÅngström\r\n', 'utf16le')]);
    expect(fieldsOf(await all(utf16, { format: 'tsv' }))).toEqual([{ SMILES: 'CCO', Name: 'Ångström' }]);
    const reader = await openReader(Buffer.from('SMILES,Solubility (µM)\nCCO,5 µM\n', 'latin1'), { format: 'csv' });
    expect(reader.columns).toEqual(['SMILES', 'Solubility (µM)']);
    for await (const r of reader) expect(r).toMatchObject({ fields: { 'Solubility (µM)': '5 µM' } });
    expect(reader.stats.encoding).toBe('windows-1252');
  });
});

describe('oversized rows and unclosed quotes', () => {
  const good = (i: number) => `C${'C'.repeat(i % 5)},cpd-${i}\n`;

  it('reports a too-long line as one error row, with capped raw text, and reads on', async () => {
    let csv = 'SMILES,Name\n';
    for (let i = 1; i <= 3; i++) csv += good(i);
    csv += `${'C'.repeat(50_000)},huge\n`;
    for (let i = 5; i <= 7; i++) csv += good(i);
    for (const chunkBytes of [997, 64 * 1024]) {
      const rows = await all(csv, { maxRowChars: 10_000, chunkBytes });
      expect(rows.map((r) => r.rowNumber)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(fieldsOf(rows)[3]).toBe('ROW_TOO_LARGE');
      expect(rows[3]).toMatchObject({
        line: 5,
        endLine: 5,
        rawTruncated: true,
        error: { reason: 'Row 4 (line 5) is longer than 10,000 characters, so it was not read. The rows after it were read as usual.' }
      });
      expect(rows[3].raw).toHaveLength(2000);
      expect(fieldsOf(rows.slice(4))).toEqual([
        { SMILES: 'CCCCCC'.slice(0, 1 + (5 % 5)), Name: 'cpd-5' },
        { SMILES: 'CC', Name: 'cpd-6' },
        { SMILES: 'CCC', Name: 'cpd-7' }
      ]);
      expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    }
  });

  it('reports several oversized rows, including the last one and consecutive ones', async () => {
    const big = 'x'.repeat(5000);
    const csv = `a,b\n1,2\n${big},3\n${big},4\n5,6\n${big},7`;
    const rows = await all(csv, { maxRowChars: 1000, chunkBytes: 512 });
    expect(fieldsOf(rows)).toEqual([{ a: '1', b: '2' }, 'ROW_TOO_LARGE', 'ROW_TOO_LARGE', { a: '5', b: '6' }, 'ROW_TOO_LARGE']);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6]);
  });

  it('reports a quote never closed before the end of the file and re-reads the lines after it', async () => {
    const rows = await all('SMILES,Name\nCCO,a\nCCN,"b\nCCC,c\nCCCC,d\n');
    expect(fieldsOf(rows)).toEqual([{ SMILES: 'CCO', Name: 'a' }, 'ROW_UNCLOSED_QUOTE', { SMILES: 'CCC', Name: 'c' }, { SMILES: 'CCCC', Name: 'd' }]);
    expect(rows[1]).toMatchObject({
      rowNumber: 2,
      line: 3,
      endLine: 3,
      error: { reason: 'Row 2 (line 3) opens a quote (") that is never closed before the end of the file. Only this line was skipped; reading went on at line 4.' }
    });
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5]);
  });

  it('reports a quote that runs past the size limit and reads the rest of the file', async () => {
    let csv = 'SMILES,Name\nCCO,"never closed\n';
    for (let i = 0; i < 2000; i++) csv += `C${i % 7 === 0 ? 'N' : 'C'},n${i}\n`;
    csv += 'CCl,"properly ""quoted"""\n';
    const rows = await all(csv, { maxRowChars: 5000, chunkBytes: 4096 });
    expect(rows[0]).toMatchObject({ error: { code: 'ROW_UNCLOSED_QUOTE', reason: expect.stringContaining('within 5,000 characters') } });
    expect(rows).toHaveLength(2002);
    expect(rows.slice(1).every((r) => !('error' in r))).toBe(true);
    expect(rows[2001]).toMatchObject({ rowNumber: 2002, line: 2003, fields: { SMILES: 'CCl', Name: 'properly "quoted"' } });
  });

  it('gives up on a file that is not CSV at all rather than re-reading forever', async () => {
    // Every line opens a quote that runs past the limit: each is one error row, until the reader gives up.
    const csv = 'a,b\n' + ('"' + 'x'.repeat(200) + '\n').repeat(1500);
    const err = await fileError(csv, { maxRowChars: 100 });
    expect(importErrorCode(err)).toBe('IMPORT_MALFORMED');
    expect(err.message).toContain('More than 1,000 rows are too long or open a quote');
  });
});

describe('file-level problems, before any row', () => {
  it.each([
    ['', 'The file is empty: it has no column names and no rows.'],
    ['\n\r\n  \n', 'The file is empty: it has no column names and no rows.'],
    ['SMILES,Name,IC50 (nM)\n', 'The file has column names (SMILES, Name, IC50 (nM)) but no data rows.'],
    ['SMILES,Name\n\n,\n', 'The file has column names (SMILES, Name) but no data rows.']
  ])('%j → IMPORT_EMPTY', async (csv, message) => {
    const err = await fileError(csv);
    expect(importErrorCode(err)).toBe('IMPORT_EMPTY');
    expect(err.message).toBe(message);
    expect(err.code).toBe('VALIDATION_ERROR');
  });

  it.each([
    ['CC(=O)Oc1ccccc1C(=O)O,aspirin,5\nCCO,ethanol,3\n', 'CC(=O)Oc1ccccc1C(=O)O'],
    ['ethanol,CCO,12.5,3\n', '12.5'],
    ['1,2,3\n4,5,6\n', '1']
  ])('%j → IMPORT_NO_HEADER', async (csv, shown) => {
    const err = await fileError(csv);
    expect(importErrorCode(err)).toBe('IMPORT_NO_HEADER');
    expect(err.message).toBe(
      `The first row looks like data (it contains "${shown}"), not column names. Add a header row naming each column (e.g. SMILES, Name, IC50 (nM)) and upload again.`
    );
  });

  it('accepts realistic headers with digits and brackets', async () => {
    const rows = await all('Cpd ID,SMILES,IC50 (nM),logD_7.4,pIC50,MW (g/mol),2D depiction\nA,CCO,5,1.2,7.1,46.07,x\n');
    expect(rows).toHaveLength(1);
  });

  it('refuses a header line longer than the limit', async () => {
    const err = await fileError(`${'h'.repeat(5000)},b\n1,2\n`, { maxRowChars: 1000 });
    expect(importErrorCode(err)).toBe('IMPORT_MALFORMED');
    expect(err.message).toContain('The first line (the column names) is longer than 1,000 characters');
  });

  it('throws on the first next(), before yielding anything', async () => {
    const it = readRows(Buffer.from(''), { format: 'csv' });
    await expect(it.next()).rejects.toMatchObject({ importCode: 'IMPORT_EMPTY' });
  });
});

describe('resuming and counting', () => {
  const csv =
    'SMILES,Name\n' +
    Array.from({ length: 300 }, (_, i) => (i % 10 === 3 ? 'CCO,a,b\n' : i % 17 === 0 ? '\n' : `C${'C'.repeat(i % 4)},n${i}\n`)).join('') +
    `${'x'.repeat(3000)},big\nCCN,"unclosed\nCCC,tail\n`;

  it('startAfterRow continues exactly where a run stopped, with the same numbers', async () => {
    const full = await all(csv, { maxRowChars: 1000 });
    for (const after of [0, 1, 4, 57, full.length - 1, full.length, full.length + 5]) {
      const rest = await all(csv, { maxRowChars: 1000, startAfterRow: after });
      expect(rest).toEqual(full.slice(after));
    }
  });

  it('countRows equals what readRows yields, gzip or not', async () => {
    const full = await all(csv, { maxRowChars: 1000 });
    expect(await countRows(Buffer.from(csv), { format: 'csv', maxRowChars: 1000 })).toBe(full.length);
    expect(await countRows(gzipSync(Buffer.from(csv)), { format: 'csv', maxRowChars: 1000 })).toBe(full.length);
    const scan = await scanRows(Buffer.from(csv), { format: 'csv', maxRowChars: 1000 });
    expect(scan).toMatchObject({ rows: full.length, errorRows: full.filter((r) => 'error' in r).length, columns: ['SMILES', 'Name'] });
  });

  it('reads the same rows whatever the read chunk size', async () => {
    const reference = await all(csv, { maxRowChars: 1000 });
    for (const chunkBytes of [64, 333, 4096]) expect(await all(csv, { maxRowChars: 1000, chunkBytes })).toEqual(reference);
  });

  it('stops cleanly when the consumer breaks off', async () => {
    const reader = await openReader(Buffer.from(csv), { format: 'csv' });
    for await (const r of reader) if (r.rowNumber === 3) break;
    expect(reader.stats.rows).toBe(3);
    expect(reader.stats.done).toBe(false);
  });
});

describe('partial input (preview of the first part of a file)', () => {
  it('leaves out a last row cut off mid-way', async () => {
    expect(fieldsOf(await all('SMILES,Name,IC50\nCCO,a,1\nCCN,b', { partial: true }))).toEqual([{ SMILES: 'CCO', Name: 'a', IC50: '1' }]);
    expect(fieldsOf(await all('SMILES,Note\nCCO,a\nCCN,"cut off\nin the mid', { partial: true }))).toEqual([{ SMILES: 'CCO', Note: 'a' }]);
  });

  it('keeps a complete last row that only lacks the final newline (a small file sent whole)', async () => {
    expect(fieldsOf(await all('SMILES,Name\nCCO,a', { partial: true }))).toEqual([{ SMILES: 'CCO', Name: 'a' }]);
  });
});

describe('LineSkipper', () => {
  const run = (n: number, parts: string[]) => {
    const s = new LineSkipper(n);
    return parts.map((p) => s.feed(Buffer.from(p))?.toString() ?? null);
  };
  it('skips lines across chunks, with \\r\\n split between them', () => {
    expect(run(1, ['abc\r', '\nrest'])).toEqual([null, 'rest']);
    expect(run(1, ['abc\r', 'rest'])).toEqual([null, 'rest']);
    expect(run(2, ['a\nb', 'c\r\nd'])).toEqual([null, 'd']);
    expect(run(1, ['aaaa', 'bbbb', 'c\nd'])).toEqual([null, null, 'd']);
    expect(run(1, ['a\n'])).toEqual([null]);
  });
});

describe('uniqueColumnNames', () => {
  it('trims, fills blanks by position and numbers repeats without collisions', () => {
    expect(uniqueColumnNames(['\ufeffID', ' SMILES ', '', 'ID', 'ID_2', 'ID', ' '])).toEqual(['ID', 'SMILES', 'Column_3', 'ID_3', 'ID_2', 'ID_4', 'Column_7']);
  });
});

// ---------------------------------------------------------------------------
// SDF

const molfile = (title: string, atoms = ['C', 'O']) =>
  `${title}\n  RDKit          2D\n\n${String(atoms.length).padStart(3)}${String(atoms.length - 1).padStart(3)}  0  0  0  0  0  0  0  0999 V2000\n` +
  atoms.map((a, i) => `    ${(i * 1.3).toFixed(4).padStart(6)}    0.0000    0.0000 ${a.padEnd(3)} 0  0  0  0  0  0  0  0  0  0  0  0\n`).join('') +
  atoms.slice(1).map((_, i) => `${String(i + 1).padStart(3)}${String(i + 2).padStart(3)}  1  0\n`).join('') +
  'M  END\n';

describe('parseSdfRecord', () => {
  const lines = (s: string) => s.replace(/\n$/, '').split('\n');

  it('reads the molblock, title and data items', () => {
    const r = parseSdfRecord(lines(molfile('CPD-1') + '> <ID>\nA1\n\n>  <IC50 (nM)>  (MD-42)\n>100\n\n> <Note>\nline 1\nline 2\n\n'));
    expect(r).toEqual({
      fields: { $title: 'CPD-1', $molblock: molfile('CPD-1'), ID: 'A1', 'IC50 (nM)': '>100', Note: 'line 1\nline 2' }
    });
  });

  it('reads V3000, data items without blank lines between them, and repeated names', () => {
    const v3000 =
      'v3\n  RDKit\n\n  0  0  0     0  0            999 V3000\nM  V30 BEGIN CTAB\nM  V30 COUNTS 1 0 0 0 0\nM  V30 BEGIN ATOM\nM  V30 1 C 0 0 0 0\nM  V30 END ATOM\nM  V30 END CTAB\nM  END';
    const r = parseSdfRecord(lines(`${v3000}\n> <ID>\nA\n> <ID>\nB\n> <$molblock>\nx\n`));
    expect(r).toMatchObject({ fields: { $title: 'v3', ID: 'A', ID_2: 'B', $molblock_data: 'x' } });
  });

  it.each([
    ['garbage\nmore garbage', 'has no "M  END" line, so it is not a complete molfile'],
    [molfile('x').replace('M  END\n', '') + '> <ID>\nA\n', 'has no "M  END" line, so it is not a complete molfile (it has data items, but the molecule block before them is incomplete)'],
    ['a\nM  END', 'is too short to be a molfile (a molfile starts with 3 header lines and a counts line)'],
    ['a\nb\nc\nhello world\nM  END', 'has no molfile counts line on its 4th line (found "hello world")'],
    [molfile('one') + molfile('two'), 'contains two molecules (two "M  END" lines); a "$$$$" separator line seems to be missing between them'],
    [molfile('x') + 'stray text\n> <ID>\nA\n', 'has unexpected text after the molecule on its line 9 ("stray text"); data items start with "> <name>"']
  ])('refuses a broken record: %#', (text, problem) => {
    expect(parseSdfRecord(lines(text))).toEqual({ problem });
  });
});

describe('SDF rows', () => {
  const sdf = (records: string[]) => records.join('');

  it('numbers records, reports a broken one between good ones, and reads on', async () => {
    const file = sdf([molfile('CPD-1') + '> <ID>\nA1\n\n$$$$\n', 'not a molecule\n$$$$\n', molfile('CPD-3') + '> <ID>\nA3\n\n$$$$\n']);
    const reader = await openReader(Buffer.from(file), { format: 'sdf' });
    expect(reader.columns).toEqual(['$title', '$molblock', 'ID']);
    const rows: ReadRow[] = [];
    for await (const r of reader) rows.push(r);
    expect(rows.map((r) => [r.rowNumber, r.line, r.endLine, 'error' in r ? r.error.code : r.fields.ID])).toEqual([
      [1, 1, 12, 'A1'],
      [2, 13, 14, 'SDF_RECORD_INVALID'],
      [3, 15, 26, 'A3']
    ]);
    expect(rows[1]).toMatchObject({
      raw: 'not a molecule',
      error: { reason: 'Record 2 (lines 13–14) has no "M  END" line, so it is not a complete molfile.' }
    });
    expect(reader.stats).toMatchObject({ rows: 3, errorRows: 1, blankRows: 0, done: true });
  });

  it('reads CRLF files, a missing final $$$$, skips empty records and blank lines between records', async () => {
    const file = (molfile('A') + '> <ID>\n1\n\n$$$$\n$$$$\n\n' + molfile('B') + '> <ID>\n2\n').replace(/\n/g, '\r\n');
    const rows = await all(file, { format: 'sdf' });
    expect(rows.map((r) => ('error' in r ? r.error.reason : [r.rowNumber, r.line, r.endLine, r.fields.$title, r.fields.ID]))).toEqual([
      [1, 1, 12, 'A', '1'],
      // record 2 starts with the blank line after the empty record (line 14)
      [2, 14, 24, 'B', '2']
    ]);
    expect(fieldsOf(rows)[0]).toMatchObject({ $molblock: molfile('A') });
    expect(fieldsOf(rows)[1]).toMatchObject({ $molblock: molfile('B') });
  });

  it('keeps a blank title line as the molfile’s own', async () => {
    const rows = await all(molfile('') + '$$$$\n' + molfile('') + '$$$$\n', { format: 'sdf' });
    expect(fieldsOf(rows)).toEqual([
      { $title: '', $molblock: molfile('') },
      { $title: '', $molblock: molfile('') }
    ]);
  });

  it('reports a record larger than the limit and reads the next one', async () => {
    const file = molfile('A') + '$$$$\n' + molfile('BIG') + '> <blob>\n' + 'x'.repeat(30_000) + '\n\n$$$$\n' + molfile('C') + '$$$$\n';
    for (const chunkBytes of [1000, 65_536]) {
      const rows = await all(file, { format: 'sdf', maxRowChars: 5000, chunkBytes });
      expect(fieldsOf(rows).map((f) => (typeof f === 'string' ? f : f.$title))).toEqual(['A', 'ROW_TOO_LARGE', 'C']);
      expect(rows[1]).toMatchObject({ rawTruncated: true, line: 10, endLine: 21 });
      expect(rows[1].raw.startsWith('BIG\n')).toBe(true);
    }
    // Also many records that are each just too large, and a 30 KB single line in the molblock.
    const longLine = molfile('L').replace('  RDKit', 'y'.repeat(30_000)) + '$$$$\n' + molfile('D') + '$$$$\n';
    expect(fieldsOf(await all(longLine, { format: 'sdf', maxRowChars: 5000, chunkBytes: 777 })).map((f) => (typeof f === 'string' ? f : f.$title))).toEqual([
      'ROW_TOO_LARGE',
      'D'
    ]);
  });

  it('throws IMPORT_EMPTY for an empty SD file and IMPORT_MALFORMED for one that is not an SD file', async () => {
    for (const empty of ['', '\n\n', '$$$$\n$$$$\n']) {
      expect(importErrorCode(await fileError(empty, { format: 'sdf' }))).toBe('IMPORT_EMPTY');
    }
    const err = await fileError('SMILES,Name\nCCO,a\n', { format: 'sdf' });
    expect(importErrorCode(err)).toBe('IMPORT_MALFORMED');
    expect(err.message).toContain('This does not look like an SD file');
  });

  it('resumes after a record and counts like it reads, and lists every data item', async () => {
    const file = Array.from({ length: 30 }, (_, i) => (i === 7 ? 'junk\n$$$$\n' : molfile(`M${i}`) + `> <ID>\n${i}\n\n${i === 25 ? '> <Late>\nx\n\n' : ''}$$$$\n`)).join('');
    const full = await all(file, { format: 'sdf' });
    expect(full).toHaveLength(30);
    expect(await all(file, { format: 'sdf', startAfterRow: 10 })).toEqual(full.slice(10));
    const scan = await scanRows(Buffer.from(file), { format: 'sdf' });
    expect(scan).toMatchObject({ rows: 30, errorRows: 1, columns: ['$title', '$molblock', 'ID', 'Late'] });
  });

  it('partial: leaves out a record cut off by the end of the sample', async () => {
    const file = molfile('A') + '$$$$\n' + molfile('B').slice(0, 40);
    expect((await all(file, { format: 'sdf', partial: true })).map((r) => r.rowNumber)).toEqual([1]);
  });
});
