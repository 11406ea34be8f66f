/**
 * The import pipeline end to end on real services: file on disk → BullMQ job →
 * RDKit thread pool → COPY into Postgres. Every row ends in exactly one of
 * registered / duplicate / invalid, and reverting undoes only what the import added.
 */
import { describe, expect, it } from 'vitest';
import { and, count, eq, sql } from 'drizzle-orm';
import { getMolecule, listMolecules } from '../../db/access/molecules';
import { createImport, listImportDuplicates, listImportErrors, requestCancel, revertImport } from '../../db/access/imports';
import { holdImport, importsToResume } from '../../db/access/ingest';
import { importErrors, imports, moleculeInputs, molecules } from '../../db/schema';
import { client, ingestSuite, smilesMapping, startImport, waitForImport, writeUpload } from './ingest-fixtures';

const t = ingestSuite();
const newScientist = async (label: string) => (await t.scientist(label)).actor;

describe('importing a CSV', () => {
  it('registers, deduplicates (any spelling, salts) and rejects with reasons, accounting for every row', async () => {
    const actor = await newScientist('csv');
    const csv = [
      'smiles,name,sponsor_id,ic50',
      'c1ccccc1O,Phenol,SP-1,12.5', // row 1: new
      'Oc1ccccc1,Phenol again,SP-2,13', // row 2: same structure, other spelling → duplicate, SP-2 merged
      'CC(=O)Oc1ccccc1C(=O)O.[Na+].[Cl-],Aspirin salt,SP-3,<10', // row 3: salt stripped → new (aspirin)
      'C1CC(C)(C)(C)(C)C1,Bad valence,SP-4,1', // row 4: invalid (valence)
      ',No structure,SP-5,2', // row 5: invalid (empty)
      'CC(=O)Oc1ccccc1C(=O)O,Aspirin,SP-6,9.1', // row 6: duplicate of row 3 (parent)
      'not a smiles,Garbage,SP-7,3', // row 7: invalid
      'CCO,"Ethanol, absolute",SP-8,"1,234.5"' // row 8: new; quoted comma
    ].join('\n');
    const file = await writeUpload('mixed.csv', csv);
    const id = await startImport(t.db, t.ingest.queues, actor, file, 'mixed.csv', smilesMapping());
    const done = await waitForImport(t.db, id);
    expect(done.status).toBe('completed');
    expect({ total: done.totalRows, registered: done.registered, duplicates: done.duplicates, invalid: done.invalid }).toEqual({
      total: 8,
      registered: 3,
      duplicates: 2,
      invalid: 3
    });
    expect(done.registered + done.duplicates + done.invalid).toBe(done.totalRows);
    expect(done.descriptorsDone).toBe(3);

    const errors = await listImportErrors(t.db, actor, id, { page: 1, pageSize: 50 });
    expect(errors.data.map((e) => e.row_number)).toEqual([4, 5, 7]);
    expect(errors.data[0].reason).toMatch(/valence/i);
    expect(errors.data[0].raw).toContain('C1CC(C)(C)(C)(C)C1');
    expect(errors.data[1].code).toBe('STRUCTURE_EMPTY');

    // Duplicate rows name the earlier row of this import that registered their molecule.
    const duplicates = await listImportDuplicates(t.db, actor, id, { page: 1, pageSize: 50 });
    expect(duplicates.total).toBe(2);
    expect(duplicates.data.map((d) => [d.row_number, d.same_as_row])).toEqual([
      [2, 1],
      [6, 3]
    ]);

    const phenol = await listMolecules(t.db, actor, { q: 'SP-2' }, { page: 1, pageSize: 10 });
    expect(phenol.total).toBe(1);
    const full = await getMolecule(t.db, actor, phenol.data[0].id);
    expect(full.canonical_smiles).toBe('Oc1ccccc1');
    expect(full.name).toBe('Phenol');
    expect(full.identifiers.filter((i) => i.label === 'sponsor_id').map((i) => i.value).sort()).toEqual(['SP-1', 'SP-2']);
    // The second row's name is kept as a synonym (it used to be dropped).
    expect(full.identifiers.filter((i) => i.label === 'synonym').map((i) => i.value)).toEqual(['Phenol again']);
    expect(full.properties.map((p) => p.value).sort()).toEqual([12.5, 13]);
    expect(full.average_mw).toBeCloseTo(94.11, 1);
    expect(full.descriptors_pending).toBe(false);

    const aspirin = await listMolecules(t.db, actor, { q: 'SP-3' }, { page: 1, pageSize: 10 });
    const a = await getMolecule(t.db, actor, aspirin.data[0].id);
    expect(a.canonical_smiles).toBe('CC(=O)Oc1ccccc1C(=O)O');
    expect(a.inputs.find((i) => i.row_number === 3)).toMatchObject({ input: 'CC(=O)Oc1ccccc1C(=O)O.[Na+].[Cl-]', stripped_fragments: true });
    const ic50 = a.properties.find((p) => p.import_id === id && p.value_text);
    expect(ic50).toMatchObject({ value: 10, value_text: '<10', unit: 'nM' });

    const ethanol = await listMolecules(t.db, actor, { filters: [{ field: 'prop:IC50', op: 'gt', value: '1000' }] }, { page: 1, pageSize: 10 });
    expect(ethanol.data.map((m) => m.name)).toEqual(['Ethanol, absolute']);
  });

  it('accounts for every row of a file with 20% garbage and a gzip wrapper', async () => {
    const actor = await newScientist('garbage');
    const lines = ['smiles,name,sponsor_id,ic50'];
    for (let i = 1; i <= 500; i++) {
      lines.push(i % 5 === 0 ? `garbage(${i}),bad ${i},G-${i},` : `${'C'.repeat(1 + (i % 40))}O${i % 7 === 0 ? '' : 'C'.repeat(i % 3)},mol ${i},G-${i},${i}`);
    }
    const file = await writeUpload('garbage.csv.gz', lines.join('\n'), { gzip: true });
    const id = await startImport(t.db, t.ingest.queues, actor, file, 'garbage.csv.gz', smilesMapping());
    const done = await waitForImport(t.db, id);
    expect(done.status).toBe('completed');
    expect(done.totalRows).toBe(500);
    expect(done.invalid).toBe(100);
    expect(done.registered + done.duplicates + done.invalid).toBe(500);
    const [{ n }] = await t.db.select({ n: count() }).from(molecules).where(eq(molecules.createdByImportId, id));
    expect(n).toBe(done.registered);
    const [{ inputs }] = await t.db.select({ inputs: count() }).from(moleculeInputs).where(eq(moleculeInputs.importId, id));
    expect(inputs).toBe(done.registered + done.duplicates);
    const [{ errs }] = await t.db.select({ errs: count() }).from(importErrors).where(eq(importErrors.importId, id));
    expect(errs).toBe(done.invalid);
  });

  it('imports an SDF with a broken record between good ones', async () => {
    const actor = await newScientist('sdf');
    const record = (title: string, molblockBody: string, id: string) => `${title}\n  test\n\n${molblockBody}M  END\n> <sponsor_id>\n${id}\n\n$$$$\n`;
    const methane = '  1  0  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n';
    const ethane =
      '  2  1  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n    1.5000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n  1  2  1  0\n';
    const sdf = record('methane', methane, 'S-1') + 'broken\n  junk\n\nthis is not a molblock\n> <sponsor_id>\nS-2\n\n$$$$\n' + record('ethane', ethane, 'S-3');
    const file = await writeUpload('set.sdf', sdf);
    const id = await startImport(t.db, t.ingest.queues, actor, file, 'set.sdf', {
      structure: { column: '$molblock', type: 'molblock' },
      name: null,
      identifiers: [{ column: 'sponsor_id', label: 'sponsor_id' }],
      properties: []
    });
    const done = await waitForImport(t.db, id);
    expect(done.status).toBe('completed');
    expect([done.totalRows, done.registered, done.duplicates, done.invalid]).toEqual([3, 2, 0, 1]);
    const errors = await listImportErrors(t.db, actor, id, { page: 1, pageSize: 10 });
    expect(errors.data[0].row_number).toBe(2);
  });
});

describe('revert and cancel', () => {
  it('revert removes what the import added and keeps molecules another import also brought', async () => {
    const actor = await newScientist('revert');
    const first = await writeUpload('a.csv', 'smiles,name,sponsor_id,ic50\nCCN,ethylamine,A-1,1\nCCCl,chloroethane,A-2,2\n');
    const firstId = await startImport(t.db, t.ingest.queues, actor, first, 'a.csv', smilesMapping());
    await waitForImport(t.db, firstId);
    const second = await writeUpload('b.csv', 'smiles,name,sponsor_id,ic50\nNCC,ethylamine again,B-1,5\nCCCC,butane,B-2,6\n');
    const secondId = await startImport(t.db, t.ingest.queues, actor, second, 'b.csv', smilesMapping());
    const b = await waitForImport(t.db, secondId);
    expect([b.registered, b.duplicates]).toEqual([1, 1]);

    const { removed } = await revertImport(t.db, actor, firstId, client);
    expect(removed.molecules).toBe(1); // chloroethane; ethylamine is still referenced by import b
    const left = await listMolecules(t.db, actor, {}, { page: 1, pageSize: 50 });
    expect(left.data.map((m) => m.canonical_smiles).sort()).toEqual(['CCCC', 'CCN']);
    const ethylamine = await getMolecule(t.db, actor, left.data.find((m) => m.canonical_smiles === 'CCN')!.id);
    expect(ethylamine.identifiers.map((i) => `${i.label}:${i.value}`).sort()).toEqual(['sponsor_id:B-1', 'synonym:ethylamine again']);
    expect(ethylamine.properties.map((p) => p.value)).toEqual([5]);
    await expect(revertImport(t.db, actor, firstId, client)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('cancel stops a running import after its current chunk; committed rows stay consistent', async () => {
    const actor = await newScientist('cancel');
    const lines = ['smiles,name,sponsor_id,ic50'];
    for (let i = 1; i <= 20_000; i++) lines.push(`C${'C'.repeat(i % 30)}N${'C'.repeat(i % 11)}O,m${i},C-${i},${i}`);
    const file = await writeUpload('big.csv', lines.join('\n'));
    const id = await startImport(t.db, t.ingest.queues, actor, file, 'big.csv', smilesMapping());
    await waitForImport(t.db, id, (s) => s === 'running');
    const running = await waitForImport(t.db, id, () => true);
    await requestCancel(t.db, actor, id, client);
    const done = await waitForImport(t.db, id);
    expect(done.status).toBe('cancelled');
    expect(done.processedRows).toBeLessThan(20_000);
    expect(done.processedRows).toBeGreaterThanOrEqual(running.processedRows);
    expect(done.registered + done.duplicates + done.invalid).toBe(done.processedRows);
    const [{ n }] = await t.db.select({ n: count() }).from(moleculeInputs).where(and(eq(moleculeInputs.importId, id)));
    expect(n).toBe(done.registered + done.duplicates);
    const [{ max }] = await t.db.select({ max: sql<number>`coalesce(max(row_number), 0)::int` }).from(moleculeInputs).where(eq(moleculeInputs.importId, id));
    expect(max).toBeLessThanOrEqual(done.checkpointRow);
  });
});

describe('the resume sweep', () => {
  it('takes a running import no worker holds, and leaves one a worker holds to that worker', async () => {
    const actor = await newScientist('sweep');
    const file = { filename: 'held.csv', format: 'csv' as const, compression: null, encoding: 'utf-8', sizeBytes: 1, storagePath: '/nonexistent', mapping: smilesMapping() };
    const row = await createImport(t.db, actor, file, client);
    await t.db.update(imports).set({ status: 'running' }).where(eq(imports.id, row.id));
    const listed = async () => (await importsToResume(t.db)).some((i) => i.id === row.id);
    try {
      expect(await listed()).toBe(true);
      const lease = await holdImport(t.db, { importId: row.id, organizationId: row.organizationId }, 1);
      if ('busy' in lease) throw new Error(`import ${row.id}: ${lease.busy} busy`);
      try {
        expect(await listed()).toBe(false);
      } finally {
        await lease.release();
      }
      expect(await listed()).toBe(true);
    } finally {
      // Leave nothing for the host's own sweep to pick up.
      await t.db.update(imports).set({ status: 'failed', finishedAt: new Date() }).where(eq(imports.id, row.id));
    }
  });
});
