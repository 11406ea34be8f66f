import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from './errors';
import {
  checkMappingAgainstColumns,
  importMappingSchema,
  MAX_MAPPED_COLUMNS,
  mappedColumnCount,
  toIdentifierLabel,
  type ImportMapping
} from './import-mapping';

const base = { structure: { column: 'SMILES', type: 'smiles' } };
const messages = (input: unknown) => {
  const r = importMappingSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('importMappingSchema', () => {
  it('accepts a minimal mapping and fills in empty lists', () => {
    const m = importMappingSchema.parse(base);
    expect(m).toEqual({ structure: { column: 'SMILES', type: 'smiles' }, identifiers: [], properties: [] });
  });

  it('accepts a full mapping, trimming labels, names and units', () => {
    const m = importMappingSchema.parse({
      ...base,
      name: { column: 'Compound Name' },
      identifiers: [
        { column: 'Sponsor ID', label: ' sponsor_id ' },
        { column: 'CRO Batch', label: 'cro_batch_id' }
      ],
      properties: [
        { column: 'IC50 (nM)', name: ' IC50 ', unit: ' nM ' },
        { column: 'logD_7.4', name: 'logD 7.4', unit: null },
        { column: 'Note', name: 'Note' }
      ]
    });
    expect(m.identifiers[0].label).toBe('sponsor_id');
    expect(m.properties[0]).toEqual({ column: 'IC50 (nM)', name: 'IC50', unit: 'nM' });
    expect(mappedColumnCount(m)).toBe(7);
  });

  it('accepts the SD file pseudo-column with type molblock, and refuses it as SMILES', () => {
    expect(messages({ structure: { column: '$molblock', type: 'molblock' } })).toEqual([]);
    expect(messages({ structure: { column: '$molblock', type: 'smiles' } })).toEqual([
      { path: 'structure.type', message: expect.stringContaining('set the type to "molblock"') }
    ]);
  });

  it('says "Pick a column" for empty or blank column names', () => {
    expect(messages({ structure: { column: '  ', type: 'smiles' } })).toEqual([
      { path: 'structure.column', message: 'Pick a column; the column name is empty' }
    ]);
    expect(messages({ ...base, identifiers: [{ column: '', label: 'x' }] })[0]).toEqual({
      path: 'identifiers.0.column',
      message: 'Pick a column; the column name is empty'
    });
    expect(messages({ structure: { type: 'smiles' } })[0]).toEqual({ path: 'structure.column', message: 'Pick a column' });
  });

  it('refuses an unknown structure type in words', () => {
    expect(messages({ structure: { column: 'S', type: 'inchi' } })[0].message).toBe('The structure type must be "smiles" or "molblock"');
  });

  it('suggests the valid spelling of a label', () => {
    expect(messages({ ...base, identifiers: [{ column: 'Sponsor ID', label: 'Sponsor ID' }] })).toEqual([
      { path: 'identifiers.0.label', message: 'Use lowercase letters, digits and underscores, starting with a letter (e.g. "sponsor_id")' }
    ]);
    expect(messages({ ...base, identifiers: [{ column: 'x', label: '' }] })[0].message).toBe('Give the identifier a label, e.g. sponsor_id');
  });

  it('refuses duplicate identifier labels, naming both columns', () => {
    expect(
      messages({
        ...base,
        identifiers: [
          { column: 'Sponsor ID', label: 'sponsor_id' },
          { column: 'Batch', label: 'cro_batch_id' },
          { column: 'Client ID', label: 'sponsor_id' }
        ]
      })
    ).toEqual([
      {
        path: 'identifiers.2.label',
        message: 'The label "sponsor_id" is already used for column "Sponsor ID"; each identifier needs its own label'
      }
    ]);
  });

  it('refuses two properties with the same name (ignoring case)', () => {
    expect(
      messages({
        ...base,
        properties: [
          { column: 'IC50 (nM)', name: 'IC50', unit: 'nM' },
          { column: 'IC50 rep 2', name: 'ic50' }
        ]
      })
    ).toEqual([
      { path: 'properties.1.name', message: 'Two properties are called "ic50" (columns "IC50 (nM)" and "IC50 rep 2"); give each its own name' }
    ]);
  });

  it(`refuses more than ${MAX_MAPPED_COLUMNS} mapped columns in all`, () => {
    const properties = Array.from({ length: 199 }, (_, i) => ({ column: `P${i}`, name: `P${i}` }));
    expect(messages({ ...base, properties })).toEqual([]); // 1 + 199 = 200
    expect(messages({ ...base, name: { column: 'Name' }, properties })).toEqual([
      { path: '', message: 'A mapping can use at most 200 columns; this one uses 201. Leave out the columns you do not need.' }
    ]);
  });

  it('stays representable as JSON Schema (the OpenAPI document embeds it)', () => {
    const schema = z.toJSONSchema(importMappingSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    expect(JSON.stringify(schema)).toContain('molblock');
  });
});

describe('toIdentifierLabel', () => {
  it.each([
    ['Sponsor ID', 'sponsor_id'],
    ['CRO Batch-ID', 'cro_batch_id'],
    ['CompoundID', 'compound_id'],
    ['sponsorId', 'sponsor_id'],
    ['Lot #', 'lot'],
    ['CAS RN', 'cas_rn'],
    ['Registry No.', 'registry_no'],
    ['Numéro de lot', 'numero_de_lot'],
    ['1st ID', 'id_1st_id'],
    ['###', '']
  ])('%s → %s', (input, label) => {
    expect(toIdentifierLabel(input)).toBe(label);
  });

  it('always yields a label the schema accepts', () => {
    for (const h of ['Sponsor ID', 'X', 'a-b-c', 'ÅngströmID', '9', 'A'.repeat(100)]) {
      const label = toIdentifierLabel(h);
      expect(messages({ ...base, identifiers: [{ column: h, label }] })).toEqual([]);
    }
  });
});

describe('checkMappingAgainstColumns', () => {
  const mapping: ImportMapping = importMappingSchema.parse({
    structure: { column: 'SMILES', type: 'smiles' },
    name: { column: 'Name' },
    identifiers: [{ column: 'Sponsor ID', label: 'sponsor_id' }],
    properties: [{ column: 'IC50 (nM)', name: 'IC50', unit: 'nM' }]
  });

  it('passes when every column is there', () => {
    expect(() => checkMappingAgainstColumns(mapping, ['Name', 'SMILES', 'Sponsor ID', 'IC50 (nM)', 'Extra'])).not.toThrow();
  });

  it('names a missing structure column and lists the file columns', () => {
    const err = catchError(() => checkMappingAgainstColumns(mapping, ['Name', 'Structure', 'Sponsor ID', 'IC50 (nM)']));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.message).toBe('The file has no structure column "SMILES". The file\'s columns are: Name, Structure, Sponsor ID, IC50 (nM)');
    expect(err.details).toEqual([{ field: 'mapping.structure.column', message: 'column "SMILES" (structure) is not in the file', column: 'SMILES' }]);
  });

  it('lists every missing column with its role', () => {
    const err = catchError(() => checkMappingAgainstColumns(mapping, ['SMILES', 'Name']));
    expect(err.message).toBe('The mapping uses columns the file does not have: "Sponsor ID", "IC50 (nM)". The file\'s columns are: SMILES, Name');
    expect(err.details.map((d) => d.field)).toEqual(['mapping.identifiers.0.column', 'mapping.properties.0.column']);
    expect(err.details[0].message).toBe('column "Sponsor ID" (identifier "sponsor_id") is not in the file');
  });

  it('explains $molblock on a file that is not an SD file', () => {
    const sdfMapping = importMappingSchema.parse({ structure: { column: '$molblock', type: 'molblock' } });
    const err = catchError(() => checkMappingAgainstColumns(sdfMapping, ['SMILES']));
    expect(err.details[0].message).toBe('"$molblock" (structure) exists only in SD files; pick the SMILES column of this file');
  });
});

function catchError(fn: () => void): AppError {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected an error');
}
