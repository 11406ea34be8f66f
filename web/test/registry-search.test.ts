/**
 * Registry search and listing at the data layer plus the web layer's
 * structure reading: SMILES in any spelling, names kept as synonyms, exact
 * totals from the trigger-kept count, sorts that read pages in index order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { getRDKit } from '$chem/rdkit';
import { computeDescriptors, registerStructure } from '$chem/standardize';
import { EXACT_TOTAL_LIMIT, exportMolecules, getMolecule, listMolecules, registerMolecule, type MoleculeQuery, type PropertyInput } from '$db/access/molecules';
import type { Actor } from '$db/auth';
import { authenticateToken } from '$db/auth';
import { closeDb, type Db } from '$db/client';
import { molecules } from '$db/schema';
import { client, newOrganization, testDb } from '../../db/test/fixtures';
import { moleculeQueryFromSearch } from '$lib/server/api/query';

let db: Db;
let actor: Actor;
beforeAll(async () => {
  db = testDb();
  await getRDKit();
  const org = await newOrganization(db);
  actor = (await authenticateToken(db, org.session.token))!;
});
afterAll(async () => {
  await closeDb(db);
});

async function register(smiles: string, name: string | null, properties?: Record<string, PropertyInput>) {
  const structure = registerStructure(smiles, 'smiles');
  if (!structure.ok) throw new Error(structure.reason);
  const d = computeDescriptors(structure.canonicalSmiles);
  return registerMolecule(db, actor, { originalInput: smiles, inputFormat: 'smiles', name, properties }, structure, d.ok ? d : null, client);
}
const page = (query: MoleculeQuery, pageNumber = 1, pageSize = 50) => listMolecules(db, actor, query, { page: pageNumber, pageSize });

describe('registry search', () => {
  it('finds caffeine by a SMILES that is not RDKit’s canonical spelling', async () => {
    const caffeine = await register('CN1C=NC2=C1C(=O)N(C(=O)N2C)C', 'caffeine');
    const other = 'Cn1cnc2c1c(=O)n(C)c(=O)n2C';
    // As text only, this spelling matches nothing (the reported bug)…
    expect((await page({ q: other, structureKey: null })).data.map((m) => m.id)).not.toContain(caffeine.id);
    // …read as a structure it finds caffeine.
    const found = await page(await moleculeQueryFromSearch({ q: other }));
    expect(found.data.map((m) => m.id)).toEqual([caffeine.id]);
    expect(found.total).toBe(1);
    // The Kekulé spelling it was registered with is not the stored (canonical) text either.
    const kekule = await page(await moleculeQueryFromSearch({ q: 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C' }));
    expect(kekule.data.map((m) => m.id)).toEqual([caffeine.id]);
  });

  it('keeps text matches for a word that also parses as SMILES', async () => {
    const methanol = await register('OC', null);
    const named = await register('c1ccncc1', 'Cobalt-free pyridine');
    const ids = (await page(await moleculeQueryFromSearch({ q: 'CO' }))).data.map((m) => m.id);
    expect(ids).toContain(methanol.id);
    expect(ids).toContain(named.id);
  });
});

describe('a name given for an already-registered structure', () => {
  it('is kept as a synonym, shown on the molecule and found by search', async () => {
    const first = await register('CC(=O)Oc1ccccc1C(=O)O', 'aspirin');
    const again = await register('OC(=O)c1ccccc1OC(C)=O', 'acetylsalicylic acid');
    expect(again).toEqual({ id: first.id, created: false });
    const m = await getMolecule(db, actor, first.id);
    expect(m.name).toBe('aspirin');
    expect(m.synonyms).toEqual(['acetylsalicylic acid']);
    expect(m.identifiers).toContainEqual(expect.objectContaining({ label: 'synonym', value: 'acetylsalicylic acid' }));
    // The same name again is not a second synonym; the molecule's own name is not one.
    await register('CC(=O)Oc1ccccc1C(=O)O', 'Aspirin');
    await register('CC(=O)Oc1ccccc1C(=O)O', 'acetylsalicylic acid');
    expect((await getMolecule(db, actor, first.id)).synonyms).toEqual(['acetylsalicylic acid']);
    expect((await page({ q: 'acetylsalicylic', structureKey: null })).data.map((x) => x.id)).toEqual([first.id]);
  });
});

describe('listing', () => {
  it('keeps the unfiltered total exact as molecules come and go', async () => {
    const before = await page({});
    const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(molecules).where(eq(molecules.organizationId, actor.organization!.id));
    expect(before.total).toBe(n);
    expect(before.totalIsEstimate).toBe(false);
    const added = await register('CCCCCCCCO', 'octanol');
    expect((await page({})).total).toBe(n + 1);
    await db.delete(molecules).where(eq(molecules.id, added.id));
    expect((await page({})).total).toBe(n);
  });

  it('presents a listed molecule exactly as every other list does (one presenter)', async () => {
    const { id } = await register('CC(C)Cc1ccc(cc1)C(C)C(=O)O', 'ibuprofen', { Solubility: { value: 21, unit: 'mg/L' } });
    await register('CC(C)Cc1ccc(cc1)C(C)C(=O)O', 'Advil'); // a synonym: an identifier row
    const [listed] = (await page({ ids: [id] })).data;
    let exported: unknown;
    for await (const batch of exportMolecules(db, actor, { ids: [id] })) exported = batch[0];
    expect(listed).toEqual(exported);
    expect(listed.created_at).toBeInstanceOf(Date);
    expect(listed.identifiers).toEqual([{ label: 'synonym', value: 'Advil' }]);
    expect(listed.properties.Solubility).toEqual({ value: 21, value_text: null, unit: 'mg/L' });
  });

  it('says when a search’s total is an estimate (more than EXACT_TOTAL_LIMIT matches)', async () => {
    const big = await newOrganization(db);
    const bigActor = (await authenticateToken(db, big.session.token))!;
    await db.execute(sql`insert into molecules (organization_id, registry_number, inchikey, inchi, canonical_smiles, formula, name, morgan_fp, pattern_fp)
      select ${big.organization.id}::uuid, g, 'BULK' || g, 'InChI=1S/bulk', 'C', 'CH4', 'bulk ' || g, '\\x00'::bytea, '\\x00'::bytea
      from generate_series(1, ${EXACT_TOTAL_LIMIT + 1}) g`);
    const searched = await listMolecules(db, bigActor, { q: 'bulk', structureKey: null }, { page: 1, pageSize: 5 });
    expect(searched.totalIsEstimate).toBe(true);
    expect(searched.total).toBeGreaterThan(EXACT_TOTAL_LIMIT);
    expect(searched.data).toHaveLength(5);
    // The whole registry is counted exactly (the trigger-kept count), however large.
    const all = await listMolecules(db, bigActor, {}, { page: 1, pageSize: 5 });
    expect(all).toMatchObject({ total: EXACT_TOTAL_LIMIT + 1, totalIsEstimate: false });
    await db.delete(molecules).where(eq(molecules.organizationId, big.organization.id)); // the test database outlives the run
  });

  it('sorts by a property’s largest value, molecules without one last, pages consistent', async () => {
    const values: Array<[string, number[] | null]> = [
      ['CCN', [5]],
      ['CCCN', [1, 50]],
      ['CCCCN', [20]],
      ['CCCCCN', null],
      ['CCCCCCN', [20]],
      ['NCCO', [0.5]]
    ];
    const ids: string[] = [];
    for (const [smiles, vs] of values) {
      const { id } = await register(smiles, null, vs ? { Potency: { value: vs[0] } } : undefined);
      for (const v of vs?.slice(1) ?? []) await register(smiles, null, { Potency: { value: v } });
      ids.push(id);
    }
    const byNumber = new Map((await page({ ids })).data.map((m) => [m.id, Number(m.registry_number.slice(3))]));
    const max = (i: number) => (values[i][1] ? Math.max(...values[i][1]!) : null);
    const expected = (descending: boolean) =>
      ids
        .map((id, i) => ({ id, v: max(i), n: byNumber.get(id)! }))
        .sort((a, b) => (a.v === null ? 1 : b.v === null ? -1 : 0) || (a.v !== null && b.v !== null ? (descending ? b.v - a.v : a.v - b.v) : 0) || b.n - a.n)
        .map((x) => x.id);
    for (const descending of [false, true]) {
      const sort = `${descending ? '-' : ''}prop:Potency`;
      expect((await page({ ids, sort })).data.map((m) => m.id)).toEqual(expected(descending));
      const paged = [...(await page({ ids, sort }, 1, 4)).data, ...(await page({ ids, sort }, 2, 4)).data];
      expect(paged.map((m) => m.id)).toEqual(expected(descending));
    }
  });

  it('sorts a column with missing values last in both directions', async () => {
    const pending = await register('CCCCCCCCCCO', 'undescribed');
    await db.update(molecules).set({ averageMw: null }).where(eq(molecules.id, pending.id));
    for (const sort of ['average_mw', '-average_mw']) {
      const rows = (await page({ sort }, 1, 200)).data;
      expect(rows[rows.length - 1].id).toBe(pending.id);
      const mws = rows.slice(0, -1).map((m) => m.average_mw!);
      expect(mws).toEqual([...mws].sort((a, b) => (sort.startsWith('-') ? b - a : a - b)));
    }
  });
});
