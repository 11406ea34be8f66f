import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChemPool, type ChemPool, type RegisterRow } from './pool';
import { getRDKit } from './rdkit';
import { registerStructure } from './standardize';

/** Varied drug-like SMILES (aryl × linker × amine), with a salt and a bad row sprinkled in. */
function molecules(count: number): string[] {
  const aryls = ['c1ccccc1', 'c1ccc(F)cc1', 'c1ccc(Cl)cc1', 'c1ccncc1', 'c1cccs1', 'c1ccc2ccccc2c1', 'c1cnc(C)nc1', 'c1ccc(OC)cc1'];
  const linkers = ['C(=O)N', 'S(=O)(=O)N', 'C(=O)NCC', 'NC(=O)N', 'CC(=O)N', 'OCC(=O)N'];
  const amines = ['C1CCN(C)CC1', 'C1CCOCC1', 'CC(C)C', 'C1CC1', 'Cc1ccccc1', 'CCN(C)C', 'C1CCCC1'];
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const a = aryls[i % aryls.length];
    const l = linkers[Math.floor(i / aryls.length) % linkers.length];
    const r = amines[Math.floor(i / (aryls.length * linkers.length)) % amines.length];
    const tail = 'C'.repeat(Math.floor(i / (aryls.length * linkers.length * amines.length)) % 6);
    out.push(i % 50 === 7 ? 'C1CC' : i % 20 === 3 ? `${a}${l}${r}${tail}.Cl` : `${a}${l}${r}${tail}`);
  }
  return out;
}
const rows = (smiles: string[], from = 0): RegisterRow[] => smiles.map((input, i) => ({ row: from + i, input, format: 'smiles' }));

describe('chem pool (2 threads)', () => {
  let pool: ChemPool;
  beforeAll(async () => {
    pool = createChemPool({ threads: 2 });
    await pool.ready();
    await getRDKit();
  }, 60_000);
  afterAll(() => pool.destroy());

  it('registers a batch in order, with the same results as in-process', async () => {
    const input = molecules(400);
    const results = await pool.register(rows(input, 1000));
    expect(results.map((r) => r.row)).toEqual(input.map((_, i) => 1000 + i));
    for (const [i, r] of results.entries()) {
      const local = registerStructure(input[i], 'smiles');
      expect(r.ok).toBe(local.ok);
      if (!r.ok || !local.ok) {
        expect(r).toMatchObject({ code: 'STRUCTURE_INVALID' });
        continue;
      }
      expect(r.canonicalSmiles).toBe(local.canonicalSmiles);
      expect(r.inchikey).toBe(local.inchikey);
      expect(r.strippedFragments).toBe(local.strippedFragments);
      expect(r.morganFp).toBeInstanceOf(Uint8Array);
      expect(r.morganFp.length).toBe(256);
      expect(Buffer.from(r.morganFp).equals(Buffer.from(local.morganFp))).toBe(true);
      expect(Buffer.from(r.patternFp).equals(Buffer.from(local.patternFp))).toBe(true);
    }
  }, 60_000);

  it('describes registered parents by id', async () => {
    const registered = (await pool.register(rows(molecules(120)))).filter((r) => r.ok);
    const described = await pool.describe(registered.map((r) => ({ id: `m${r.row}`, smiles: r.canonicalSmiles })));
    expect(described.map((d) => d.id)).toEqual(registered.map((r) => `m${r.row}`));
    for (const d of described) {
      expect(d).toMatchObject({ ok: true, averageMw: expect.any(Number), tpsa: expect.any(Number), heavyAtoms: expect.any(Number) });
    }
    expect(await pool.describe([{ id: 'bad', smiles: 'C1CC' }])).toEqual([
      { id: 'bad', ok: false, code: 'STRUCTURE_INVALID', reason: "SMILES Parse Error: unclosed ring for input: 'C1CC'" }
    ]);
  }, 60_000);

  it('handles empty batches and refuses work after destroy', async () => {
    expect(await pool.register([])).toEqual([]);
    const other = createChemPool({ threads: 1 });
    await other.destroy();
    await expect(other.register(rows(['CCO']))).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});

describe('chem pool memory', () => {
  it('keeps a thread’s WebAssembly heap flat over thousands of molecules', async () => {
    const pool = createChemPool({ threads: 1 });
    try {
      const all = molecules(4000);
      // Warm up: the heap grows to its working size on the first batches.
      await pool.register(rows(all.slice(0, 1000)));
      const before = await pool.memory();
      for (let i = 1000; i < all.length; i += 1000) {
        const batch = await pool.register(rows(all.slice(i, i + 1000), i));
        const ok = batch.filter((r) => r.ok);
        await pool.describe(ok.slice(0, 300).map((r) => ({ id: String(r.row), smiles: r.canonicalSmiles })));
      }
      const after = await pool.memory();
      expect(after.threadId).toBe(before.threadId);
      // An undeleted JSMol costs ~20 KB: 3,000 leaked molecules would add ~60 MB.
      expect(after.wasmHeapBytes - before.wasmHeapBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    } finally {
      await pool.destroy();
    }
  }, 120_000);
});
