/**
 * Where registration time goes: microseconds per molecule for each RDKit call
 * the engine makes, and for the engine's own entry points. Single thread,
 * in-process, after a warm-up (V8 tiers the wasm up during the first few
 * hundred molecules). Used by `bench/ingest/bare-pipeline.ts --profile`.
 */
import { depictSvg } from './depict';
import { getRDKit, takeRDKitLog, type RDKitMol } from './rdkit';
import { computeDescriptors, registerStructure } from './standardize';

export type ProfileStep =
  | 'parse'
  | 'canonicalSmiles'
  | 'inchi'
  | 'inchikey'
  | 'morganFp'
  | 'patternFp'
  | 'molJson'
  | 'getDescriptors'
  | 'registerStructure'
  | 'computeDescriptors'
  | 'depictSvg';

export interface StepProfile {
  molecules: number;
  /** Mean microseconds per molecule. */
  microseconds: Record<ProfileStep, number>;
}

export async function profileSteps(smiles: string[], { warmup = 300, depictions = 200 } = {}): Promise<StepProfile> {
  const rdkit = await getRDKit();
  const valid: string[] = [];
  for (const s of smiles) {
    const mol = rdkit.get_mol(s);
    if (mol?.is_valid()) valid.push(s);
    mol?.delete();
  }
  takeRDKitLog(rdkit);
  for (const s of valid.slice(0, warmup)) {
    const r = registerStructure(s, 'smiles', rdkit);
    if (r.ok) computeDescriptors(r.canonicalSmiles, rdkit);
  }

  const time = (fn: (s: string, i: number) => void, over = valid) => {
    const started = performance.now();
    over.forEach(fn);
    return ((performance.now() - started) * 1000) / Math.max(1, over.length);
  };
  const mols: RDKitMol[] = valid.map((s) => rdkit.get_mol(s)!);
  try {
    const inchis = mols.map((m) => m.get_inchi());
    const microseconds: Record<ProfileStep, number> = {
      parse: time((s) => rdkit.get_mol(s)?.delete()),
      canonicalSmiles: time((_, i) => mols[i].get_smiles()),
      inchi: time((_, i) => mols[i].get_inchi()),
      inchikey: time((_, i) => rdkit.get_inchikey_for_inchi(inchis[i])),
      morganFp: time((_, i) => mols[i].get_morgan_fp_as_uint8array('{"radius":2,"nBits":2048}')),
      patternFp: time((_, i) => mols[i].get_pattern_fp_as_uint8array('{"nBits":2048}')),
      molJson: time((_, i) => mols[i].get_json()),
      getDescriptors: time((_, i) => mols[i].get_descriptors()),
      registerStructure: time((s) => registerStructure(s, 'smiles', rdkit)),
      computeDescriptors: time((s) => computeDescriptors(s, rdkit)),
      depictSvg: time((s) => depictSvg(s, { width: 300, height: 200 }, rdkit), valid.slice(0, depictions))
    };
    return { molecules: valid.length, microseconds };
  } finally {
    for (const m of mols) m.delete();
    takeRDKitLog(rdkit);
  }
}
