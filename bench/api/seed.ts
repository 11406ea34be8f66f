/**
 * The bench registry: one organisation with N molecules (default 100,000),
 * loaded once and kept between runs (the database is the cache).
 *
 * Structures and names come from bench/ingest/generate.ts (RDKit-canonical
 * drug-like parents, names, sponsor ids, IC50 and solubility as a CSV would
 * carry them). The rows are written straight into the tables (batched
 * `insert … select from unnest`), not through the import pipeline: the
 * pipeline's chemistry is what bench/ingest measures, and here it would only
 * make the first run ten minutes longer. What the API reads is what an import
 * writes — one molecules row with descriptors, a `sponsor_id` identifier and
 * one property row per value — so the tables have the shape and size of a
 * real 100k registry. InChI/InChIKey are stand-ins (unique, well-formed),
 * descriptors are deterministic pseudo-random values in drug-like ranges, and
 * the fingerprints are 256 bytes each like the real ones (they are most of a
 * row's bytes, which is what matters for reads).
 */
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { signUp } from '../../db/access/accounts';
import type { Db } from '../../db/client';
import { molecules, organizations, users } from '../../db/schema';
import { generateMolecules } from '../ingest/generate';

export const BENCH_EMAIL = 'bench-api@bench.example';
export const BENCH_PASSWORD = 'bench api password';

/** Deterministic [0, 1) from a string. */
const unit = (s: string, salt: string) => createHash('md5').update(salt + s).digest().readUInt32BE(0) / 2 ** 32;

/** A well-formed, unique stand-in InChIKey (14-10-1 upper-case letters) for `smiles`. */
function standInInchikey(smiles: string): string {
  const h = createHash('sha256').update(smiles).digest();
  const letters = [...h].map((b) => String.fromCharCode(65 + (b % 26))).join('');
  return `${letters.slice(0, 14)}-${letters.slice(14, 22)}SA-N`;
}

/** The bench organisation and its owner, created with `count` molecules when missing. */
export async function ensureBenchRegistry(db: Db, count: number, log: (s: string) => void): Promise<{ organizationId: string; userId: string }> {
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, BENCH_EMAIL));
  let userId = user?.id;
  let organizationId: string;
  if (!userId) {
    const made = await signUp(
      db,
      { email: BENCH_EMAIL, password: BENCH_PASSWORD, name: 'Bench API', organization: { name: 'Bench API registry', kind: 'pharma' } },
      { via: 'api' }
    );
    userId = made.user.id;
    organizationId = made.organization.id;
  } else {
    const [org] = await db.execute<{ id: string }>(sql`select organization_id as id from memberships where user_id = ${userId} limit 1`).then((r) => r.rows);
    organizationId = org.id;
  }
  const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(molecules).where(eq(molecules.organizationId, organizationId));
  if (n >= count) return { organizationId, userId };

  log(`seeding ${count - n} molecules (kept in the database for later runs)…`);
  const started = Date.now();
  const generated = await generateMolecules(Math.ceil((count - n) * 1.06) + 100, 4242, { duplicateFraction: 0, saltFraction: 0 });
  const seen = new Set<string>();
  const rows = generated.filter((g) => g.parentSmiles && !seen.has(g.parentSmiles) && seen.add(g.parentSmiles)).slice(0, count - n);
  log(`  generated ${rows.length} structures in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const BATCH = 5000;
  for (let at = 0; at < rows.length; at += BATCH) {
    const batch = rows.slice(at, at + BATCH);
    await db.transaction(async (tx) => {
      const [{ last }] = await tx
        .update(organizations)
        .set({ moleculeCounter: sql`${organizations.moleculeCounter} + ${batch.length}` })
        .where(eq(organizations.id, organizationId))
        .returning({ last: organizations.moleculeCounter });
      const first = last - batch.length + 1;
      // One array parameter per column (Drizzle would spread a JS array into a row of placeholders).
      const col = <T>(f: (g: (typeof batch)[number], i: number) => T) => sql.param(batch.map(f));
      await tx.execute(sql`
        with input as (
          select * from unnest(
            ${col((g) => g.parentSmiles)}::text[], ${col((g) => standInInchikey(g.parentSmiles))}::text[],
            ${col((g) => g.name)}::text[], ${col((_, i) => first + i)}::int[],
            ${col((g) => 200 + 350 * unit(g.parentSmiles, 'mw'))}::float8[], ${col((g) => -1 + 6 * unit(g.parentSmiles, 'logp'))}::float8[],
            ${col((g) => 20 + 120 * unit(g.parentSmiles, 'tpsa'))}::float8[], ${col((g) => Math.floor(6 * unit(g.parentSmiles, 'hbd')))}::int[],
            ${col((g) => g.sponsorId)}::text[], ${col((g) => g.ic50nM)}::text[], ${col((g) => g.solubilityUM)}::text[]
          ) as t(smiles, inchikey, name, number, mw, logp, tpsa, hbd, sponsor_id, ic50, solubility)
        ), mol as (
          insert into molecules (organization_id, registry_number, inchikey, inchi, canonical_smiles, formula, name,
            average_mw, exact_mass, clogp, tpsa, hbd, hba, rotatable_bonds, heavy_atoms, aromatic_rings, fraction_csp3,
            morgan_fp, pattern_fp, descriptors_at, created_by)
          select ${organizationId}, number, inchikey, 'InChI=1S/bench/' || number, smiles, 'C' || (10 + hbd * 3) || 'H' || (12 + hbd * 4) || 'N2O2', name,
            mw, mw - 0.15, logp, tpsa, hbd, hbd + 3, hbd + 2, (mw / 14)::int, 1 + hbd % 3, 0.1 * hbd,
            decode(repeat(md5(smiles), 16), 'hex'), decode(repeat(md5(inchikey), 16), 'hex'), now(), ${userId}
          from input
          returning id, registry_number
        ), ids as (
          insert into molecule_identifiers (organization_id, molecule_id, label, value, created_by)
          select ${organizationId}, mol.id, 'sponsor_id', input.sponsor_id, ${userId} from mol join input on input.number = mol.registry_number
        )
        insert into molecule_properties (organization_id, molecule_id, name, value_num, value_text, unit, source, created_by)
        select ${organizationId}, mol.id, p.name,
          case when p.v ~ '^[0-9.eE+-]+$' then p.v::float8 end, case when p.v !~ '^[0-9.eE+-]+$' then p.v end, p.unit, 'import', ${userId}
        from mol join input on input.number = mol.registry_number
        cross join lateral (values ('IC50', input.ic50, 'nM'), ('Solubility', input.solubility, 'µM')) as p(name, v, unit)
        where p.v <> ''`);
    });
    log(`  ${Math.min(at + BATCH, rows.length)} / ${rows.length}`);
  }
  await db.execute(sql`vacuum analyze molecules`);
  await db.execute(sql`vacuum analyze molecule_identifiers`);
  await db.execute(sql`vacuum analyze molecule_properties`);
  log(`  seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { organizationId, userId };
}
