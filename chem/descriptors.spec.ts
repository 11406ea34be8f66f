/**
 * The one descriptor declaration against what it drives: RDKit must give a value under each
 * `rdkit` key, and the `molecules` table (Drizzle) must have exactly one column per entry,
 * named by its key, of its SQL type, in its order.
 */
import { getTableColumns } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { molecules } from '../db/schema';
import { DESCRIPTOR_FIELDS, DESCRIPTOR_KEYS, DESCRIPTORS } from './descriptors';
import { getRDKit, type RDKitModule } from './rdkit';
import { computeDescriptors } from './standardize';

let rdkit: RDKitModule;
beforeAll(async () => {
  rdkit = await getRDKit();
});

describe('descriptor declaration', () => {
  it('names each descriptor once', () => {
    expect(new Set(DESCRIPTOR_KEYS).size).toBe(DESCRIPTORS.length);
    expect(new Set(DESCRIPTOR_FIELDS).size).toBe(DESCRIPTORS.length);
  });

  it('reads a value RDKit gives for every entry', () => {
    const mol = rdkit.get_mol('CC(=O)Oc1ccccc1C(=O)O')!;
    try {
      const given = JSON.parse(mol.get_descriptors()) as Record<string, number>;
      for (const d of DESCRIPTORS) expect(Number.isFinite(given[d.rdkit]), d.rdkit).toBe(true);
    } finally {
      mol.delete();
    }
    const aspirin = computeDescriptors('CC(=O)Oc1ccccc1C(=O)O', rdkit);
    expect(Object.keys(aspirin)).toEqual(['ok', ...DESCRIPTOR_FIELDS]);
  });

  it('is the molecules table’s descriptor columns', () => {
    const columns = Object.entries(getTableColumns(molecules)).filter(([field]) => (DESCRIPTOR_FIELDS as readonly string[]).includes(field));
    expect(columns.map(([field, c]) => [field, c.name, c.getSQLType(), c.notNull])).toEqual(
      DESCRIPTORS.map((d) => [d.field, d.key, d.type === 'integer' ? 'integer' : 'double precision', false])
    );
  });
});
