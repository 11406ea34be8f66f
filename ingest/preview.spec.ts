import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { importMappingSchema } from '../common/import-mapping';
import { checkMappingAgainstColumns, parseHeaderUnit, previewFile, suggestMapping } from './preview';

/** Columns + rows from a small delimited table (first line = header). */
function table(text: string, delimiter = ',') {
  const [head, ...lines] = text.trim().split('\n');
  const columns = head.split(delimiter);
  const rows = lines.map((l) => Object.fromEntries(l.split(delimiter).map((v, i) => [columns[i], v])));
  return { columns, rows };
}

describe('parseHeaderUnit', () => {
  it.each([
    ['IC50 (nM)', 'IC50', 'nM'],
    ['Solubility [uM]', 'Solubility', 'µM'],
    ['Solubility [µM]', 'Solubility', 'µM'],
    ['MW (g/mol)', 'MW', 'g/mol'],
    ['Ki, nM', 'Ki', 'nM'],
    ['Solubility_uM', 'Solubility', 'µM'],
    ['hERG IC50 uM', 'hERG IC50', 'µM'],
    ['Yield %', 'Yield', '%'],
    ['Purity (%)', 'Purity', '%'],
    ['Purity%', 'Purity', '%'],
    ['CLint (uL/min/mg)', 'CLint', 'µL/min/mg'],
    ['Papp A-B (10^-6 cm/s)', 'Papp A-B', '10^-6 cm/s'],
    ['TPSA (Å²)', 'TPSA', 'Å²'],
    ['Melting point (°C)', 'Melting point', '°C'],
    ['Solubility (pH 7.4) [uM]', 'Solubility (pH 7.4)', 'µM'],
    ['t1/2 (h)', 't1/2', 'h']
  ])('%s → %s, %s', (header, name, unit) => {
    expect(parseHeaderUnit(header)).toEqual({ name, unit });
  });

  it.each(['logD_7.4', 'Solubility (pH 7.4)', 'pIC50', 'Batch M', 'Compound Name', 'Assay 2', 'clogP'])('%s has no unit', (header) => {
    expect(parseHeaderUnit(header)).toEqual({ name: header, unit: null });
  });
});

describe('suggestMapping', () => {
  it('maps a typical CRO results sheet', () => {
    const { columns, rows } = table(`
Compound ID,Canonical_SMILES,CRO Batch ID,Lot,IC50 (nM),Solubility [uM],logD_7.4,MW (g/mol),Assay date,Comment,InChIKey
CX-001,CC(=O)Oc1ccccc1C(=O)O,B-17,L1,<10,12.5,1.8,180.16,2024-05-01,ok,BSYNRYMUTXBXSQ-UHFFFAOYSA-N
CX-002,c1ccc2[nH]ccc2c1,B-18,L1,1.5,>100,2.1,117.15,2024-05-02,,SIKJAQJRHWYJAI-UHFFFAOYSA-N
CX-003,CN1C=NC2=C1C(=O)N(C(=O)N2C)C,B-19,L2,250,3.2,-0.5,194.19,2024-05-03,retest,RYYVLZVUVIJVGH-UHFFFAOYSA-N`);
    const m = suggestMapping(columns, rows);
    expect(m).toEqual({
      structure: { column: 'Canonical_SMILES', type: 'smiles' },
      name: { column: 'Compound ID' },
      identifiers: [
        { column: 'Compound ID', label: 'compound_id' },
        { column: 'CRO Batch ID', label: 'cro_batch_id' },
        { column: 'Lot', label: 'lot' }
      ],
      properties: [
        { column: 'IC50 (nM)', name: 'IC50', unit: 'nM' },
        { column: 'Solubility [uM]', name: 'Solubility', unit: 'µM' },
        { column: 'logD_7.4', name: 'logD_7.4', unit: null },
        { column: 'MW (g/mol)', name: 'MW', unit: 'g/mol' }
      ]
    });
    expect(importMappingSchema.safeParse(m).success).toBe(true);
    expect(() => checkMappingAgainstColumns(m!, columns)).not.toThrow();
  });

  it('maps a sponsor registration sheet with names, CAS and registry numbers', () => {
    const { columns, rows } = table(`
Row,SMILES,Name,Sponsor_ID,CAS No.,Registry Number,Barcode,Purity (%),Batch Yield (%),Supplier
1,CCO,Ethanol,SP-1,64-17-5,100234,BC0001,99.5,87,Sigma
2,CC(C)O,Isopropanol,SP-2,67-63-0,100235,BC0002,98,91,Merck`);
    expect(suggestMapping(columns, rows)).toEqual({
      structure: { column: 'SMILES', type: 'smiles' },
      name: { column: 'Name' },
      identifiers: [
        { column: 'Sponsor_ID', label: 'sponsor_id' },
        { column: 'CAS No.', label: 'cas_no' },
        { column: 'Registry Number', label: 'registry_number' },
        { column: 'Barcode', label: 'barcode' }
      ],
      properties: [
        { column: 'Purity (%)', name: 'Purity', unit: '%' },
        // "Batch" in a header with a unit is a measurement, not an identifier
        { column: 'Batch Yield (%)', name: 'Batch Yield', unit: '%' }
      ]
    });
  });

  it('finds the structure by content when the header does not say', () => {
    const { columns, rows } = table(`
Cpd\tInput\tActivity
A-1\tCC(=O)Nc1ccc(O)cc1\t5.2
A-2\tc1ccccc1O\t6.1
A-3\tOC(=O)C(N)Cc1ccccc1\tinactive`, '\t');
    const m = suggestMapping(columns, rows)!;
    expect(m.structure).toEqual({ column: 'Input', type: 'smiles' });
    expect(m.properties).toEqual([{ column: 'Activity', name: 'Activity', unit: null }]);
  });

  it('does not take a "Structure" column of image names for SMILES, and returns null without a structure', () => {
    const { columns, rows } = table(`
Name,Structure,IC50
Aspirin,aspirin.png,5
Caffeine,caffeine.png,7`);
    expect(suggestMapping(columns, rows)).toBeNull();
  });

  it('recognises molblocks in a column', () => {
    const mol = '\n  RDKit          2D\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0\nM  END\n';
    const m = suggestMapping(['ID', 'Mol'], [{ ID: '1', Mol: mol }])!;
    expect(m.structure).toEqual({ column: 'Mol', type: 'molblock' });
    expect(m.name).toEqual({ column: 'ID' });
  });

  it('maps an SD file: $molblock, a name data item over the title, numeric data items', () => {
    const columns = ['$title', '$molblock', 'Corporate ID', 'Name', 'IC50 (nM)', 'Supplier'];
    const rows = [{ $title: 'Mrv1', $molblock: 'x', 'Corporate ID': 'C-1', Name: 'Cpd 1', 'IC50 (nM)': '>100', Supplier: 'Enamine' }];
    expect(suggestMapping(columns, rows)).toEqual({
      structure: { column: '$molblock', type: 'molblock' },
      name: { column: 'Name' },
      identifiers: [{ column: 'Corporate ID', label: 'corporate_id' }],
      properties: [{ column: 'IC50 (nM)', name: 'IC50', unit: 'nM' }]
    });
    // With nothing better, the title is the name.
    expect(suggestMapping(['$title', '$molblock'], [{ $title: 'CPD-9', $molblock: 'x' }])!.name).toEqual({ column: '$title' });
    expect(suggestMapping(['$title', '$molblock'], [{ $title: '', $molblock: 'x' }])!.name).toBeNull();
  });

  it('prefers the plainest name column and the plainest SMILES column', () => {
    const columns = ['IUPAC Name', 'Salt SMILES', 'Compound Name', 'SMILES', 'Name'];
    const row = { 'IUPAC Name': 'x', 'Salt SMILES': 'CCO.Cl', 'Compound Name': 'y', SMILES: 'CCO', Name: 'z' };
    const m = suggestMapping(columns, [row])!;
    expect(m.structure.column).toBe('SMILES');
    expect(m.name).toEqual({ column: 'Name' });
  });

  it('ignores derived and bookkeeping columns, and de-duplicates property names', () => {
    const { columns, rows } = table(`
Unnamed: 0,SMILES,InChIKey,index,IC50 (nM),IC50 (uM),IC50
0,CCO,LFQSCWFLJHTTHZ-UHFFFAOYSA-N,0,5,0.005,5
1,CCN,QUSNBJAOOMFDIB-UHFFFAOYSA-N,1,6,0.006,6`);
    expect(suggestMapping(columns, rows)!.properties).toEqual([
      { column: 'IC50 (nM)', name: 'IC50', unit: 'nM' },
      { column: 'IC50 (uM)', name: 'IC50_2', unit: 'µM' },
      { column: 'IC50', name: 'IC50_3', unit: null }
    ]);
  });

  it('reads decimal commas when judging numeric columns', () => {
    const m = suggestMapping(['SMILES', 'pIC50'], [{ SMILES: 'CCO', pIC50: '6,5' }, { SMILES: 'CCN', pIC50: '7,25' }], { decimalComma: true })!;
    expect(m.properties).toEqual([{ column: 'pIC50', name: 'pIC50', unit: null }]);
  });

  it('stays within 200 mapped columns', () => {
    const columns = ['SMILES', 'Name', ...Array.from({ length: 300 }, (_, i) => `P${i} (nM)`)];
    const row = Object.fromEntries(columns.map((c) => [c, c === 'SMILES' ? 'CCO' : c === 'Name' ? 'x' : '1']));
    const m = suggestMapping(columns, [row])!;
    expect(m.properties).toHaveLength(198);
    expect(importMappingSchema.safeParse(m).success).toBe(true);
  });

  it('is deterministic', () => {
    const { columns, rows } = table(`
ID,SMILES,Batch,IC50 (nM),Note
1,CCO,B1,5,x
2,CCN,B2,6,y`);
    const a = JSON.stringify(suggestMapping(columns, rows));
    for (let i = 0; i < 5; i++) expect(JSON.stringify(suggestMapping([...columns], rows.map((r) => ({ ...r }))))).toBe(a);
  });
});

describe('previewFile', () => {
  it('previews a Latin-1, semicolon-delimited European Excel export', async () => {
    const csv = 'Verbindung;SMILES;Löslichkeit (µM);IC50 (nM)\r\nÅngström-1;CCO;12,5;<10\r\nB-2;CCN;3,25;250\r\n';
    const p = await previewFile(Buffer.from(csv, 'latin1'), { filename: 'export.csv' });
    expect(p).toMatchObject({
      format: 'csv',
      encoding: 'windows-1252',
      compression: null,
      delimiter: ';',
      decimalComma: true,
      columns: ['Verbindung', 'SMILES', 'Löslichkeit (µM)', 'IC50 (nM)'],
      rows: [
        { Verbindung: 'Ångström-1', SMILES: 'CCO', 'Löslichkeit (µM)': '12,5', 'IC50 (nM)': '<10' },
        { Verbindung: 'B-2', SMILES: 'CCN', 'Löslichkeit (µM)': '3,25', 'IC50 (nM)': '250' }
      ],
      rowErrors: []
    });
    expect(p.suggestedMapping!.properties).toEqual([
      { column: 'Löslichkeit (µM)', name: 'Löslichkeit', unit: 'µM' },
      { column: 'IC50 (nM)', name: 'IC50', unit: 'nM' }
    ]);
  });

  it('previews gzip, returns at most maxRows rows and reports bad rows among them', async () => {
    let csv = 'SMILES,Name\n';
    for (let i = 0; i < 100; i++) csv += i === 2 ? 'CCO,x,extra\n' : `C${'C'.repeat(i % 3)},n${i}\n`;
    const p = await previewFile(gzipSync(Buffer.from(csv)), { filename: 'list.csv.gz' });
    expect(p.compression).toBe('gzip');
    expect(p.rows).toHaveLength(19);
    expect(p.rowErrors).toEqual([{ rowNumber: 3, line: 4, code: 'ROW_RAGGED', reason: expect.stringContaining('Row 3 (line 4) has 3 values') }]);
    expect(p.suggestedMapping).toMatchObject({ structure: { column: 'SMILES' }, name: { column: 'Name' } });
  });

  it('previews the first bytes of an upload (partial), gzip cut off included', async () => {
    let csv = 'SMILES\tName\n';
    for (let i = 0; i < 5000; i++) csv += `CC(=O)N${i % 10},compound-${i}\n`.replace(',', '\t');
    const gz = gzipSync(Buffer.from(csv));
    const p = await previewFile(gz.subarray(0, 2000), { filename: 'big.tsv.gz', partial: true, maxRows: 5 });
    expect(p).toMatchObject({ format: 'tsv', columns: ['SMILES', 'Name'], rows: [{ Name: 'compound-0' }, {}, {}, {}, {}] });
  });

  it('previews an SD file', async () => {
    const mol = (t: string) => `${t}\n  RDKit          2D\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\nM  END\n`;
    const sdf = `${mol('CPD-1')}> <IC50 (nM)>\n5\n\n$$$$\n${mol('CPD-2')}> <IC50 (nM)>\n<10\n\n$$$$\n`;
    const p = await previewFile(Buffer.from(sdf), { filename: 'hits.sdf' });
    expect(p).toMatchObject({ format: 'sdf', delimiter: null, columns: ['$title', '$molblock', 'IC50 (nM)'] });
    expect(p.rows.map((r) => r.$title)).toEqual(['CPD-1', 'CPD-2']);
    expect(p.suggestedMapping).toEqual({
      structure: { column: '$molblock', type: 'molblock' },
      name: { column: '$title' },
      identifiers: [],
      properties: [{ column: 'IC50 (nM)', name: 'IC50', unit: 'nM' }]
    });
  });

  it('passes file-level problems on', async () => {
    await expect(previewFile(Buffer.from(''), { filename: 'empty.csv' })).rejects.toMatchObject({ importCode: 'IMPORT_EMPTY' });
    await expect(previewFile(Buffer.from('PK\x03\x04'), { filename: 'book.xlsx' })).rejects.toMatchObject({ importCode: 'IMPORT_UNSUPPORTED' });
  });
});
