/**
 * The registry list's page and its total. The whole registry's total rides in
 * the page's statement (db/access/molecules.ts listMolecules), so a page past
 * the end, which has no row to carry it, must still report it; a filtered
 * list counts its matches separately.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getRDKit } from '../../chem/rdkit';
import { computeDescriptors, registerStructure } from '../../chem/standardize';
import { sql } from 'drizzle-orm';
import { authenticateToken, type Actor } from '../auth';
import { closeDb, createDb } from '../client';
import { listMolecules, matchingMoleculeIds, registerMolecule } from '../access/molecules';
import { client, newOrganization, testDbs } from './fixtures';
import { molecules } from '../schema';
import { eq } from 'drizzle-orm';

const { db } = testDbs();
let actor: Actor;

beforeAll(async () => {
  await getRDKit();
  const org = await newOrganization(db);
  actor = (await authenticateToken(db, org.token))!;
  for (const [smiles, name] of [
    ['CCO', 'ethanol'],
    ['c1ccccc1O', 'phenol'],
    ['CC(=O)O', 'acetic acid']
  ]) {
    const structure = registerStructure(smiles, 'smiles');
    if (!structure.ok) throw new Error(structure.reason);
    const described = computeDescriptors(structure.canonicalSmiles);
    await registerMolecule(db, actor, { originalInput: smiles, inputFormat: 'smiles', name }, structure, described.ok ? described : null, client);
  }
});

describe('listMolecules totals', () => {
  it('reports the whole registry with a page of rows', async () => {
    const { data, total, totalIsEstimate } = await listMolecules(db, actor, {}, { page: 1, pageSize: 2 });
    expect(data.map((m) => m.name)).toEqual(['acetic acid', 'phenol']);
    expect(total).toBe(3);
    expect(totalIsEstimate).toBe(false);
  });

  it('reports the whole registry on a page past the end', async () => {
    const { data, total } = await listMolecules(db, actor, {}, { page: 5, pageSize: 2 });
    expect(data).toEqual([]);
    expect(total).toBe(3);
  });

  it('counts only the matches of a filtered list', async () => {
    const { data, total } = await listMolecules(db, actor, { q: 'phenol' }, { page: 1, pageSize: 50 });
    expect(data.map((m) => m.name)).toEqual(['phenol']);
    expect(total).toBe(1);
  });
});

describe('statement plans', () => {
  // A generic plan made for "some organisation, some search" read a 12,345-match
  // search quadratically (8–22 s per statement in the e2e run): searches are
  // planned for their values every time; only the unfiltered list, whose plan
  // does not depend on them, is a named prepared statement.
  it('keeps the unfiltered list prepared and plans every search for its values', async () => {
    const one = createDb(process.env.DATABASE_URL!, { max: 1 });
    try {
      for (let i = 0; i < 7; i++) {
        await listMolecules(one, actor, {}, { page: 1, pageSize: 2 });
        await listMolecules(one, actor, { q: 'phenol' }, { page: 1, pageSize: 50 });
        await listMolecules(one, actor, { filters: [{ field: 'average_mw', op: 'gt', value: '10' }] }, { page: 1, pageSize: 50 });
      }
      const prepared = (await one.execute<{ statement: string }>(sql`select statement from pg_prepared_statements where name like 'registry_%'`)).rows;
      expect(prepared.length).toBeGreaterThan(0);
      expect(prepared.filter((p) => /ilike|"average_mw" >/.test(p.statement))).toEqual([]);
    } finally {
      await closeDb(one);
    }
  });
});

describe('a search right after a bulk registration', () => {
  // Statistics still call the new organisation empty: as `id in (matches)`
  // PostgreSQL 18 re-read all 12,345 matches per molecule (17 s per
  // statement). The match set is now a FROM item looked up by primary key.
  it('pages through 12,345 matches to the real last page, and the matches are the same for "add to library"', async () => {
    const big = await newOrganization(db);
    const bigActor = (await authenticateToken(db, big.token))!;
    await db.execute(sql`insert into molecules (organization_id, registry_number, inchikey, inchi, canonical_smiles, formula, name, morgan_fp, pattern_fp)
      select ${big.organization.id}::uuid, g, 'BULK' || g, 'InChI=1S/bulk', 'C', 'CH4', 'bulk sample ' || g, '\\x00'::bytea, '\\x00'::bytea
      from generate_series(1, 12345) g`);
    try {
      const numbers = async (p: number) =>
        (await listMolecules(db, bigActor, { q: 'bulk', structureKey: null }, { page: p, pageSize: 50 })).data.map((m) => m.registry_number);
      const label = (n: number) => `CX-${String(n).padStart(6, '0')}`;
      expect(await numbers(246)).toEqual(Array.from({ length: 50 }, (_, i) => label(12345 - 12250 - i)));
      expect(await numbers(247)).toEqual(Array.from({ length: 45 }, (_, i) => label(45 - i)));
      const counted = await listMolecules(db, bigActor, { q: 'bulk', structureKey: null }, { page: 1, pageSize: 1 });
      expect(counted).toMatchObject({ totalIsEstimate: true });
      const ids = await matchingMoleculeIds(db, bigActor, { q: 'sample 1234', structureKey: null }, 100);
      // 1234 and 12340–12345.
      expect(ids).toMatchObject({ truncated: false });
      expect(ids.ids).toHaveLength(7);
    } finally {
      await db.delete(molecules).where(eq(molecules.organizationId, big.organization.id));
    }
  });
});
