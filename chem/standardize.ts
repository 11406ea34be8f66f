/**
 * Structure registration: one input (SMILES or molblock) → the parent
 * structure's identity (canonical SMILES, standard InChI/InChIKey, formula)
 * and fingerprints; descriptors are a separate, later pass because they cost
 * as much as everything else together.
 *
 * Synchronous once RDKit is loaded (`await getRDKit()` first, or pass the
 * module). Bad input never throws: it comes back as `{ ok: false, code,
 * reason }` with RDKit's own words, so an import can record it on the row.
 */
import { discardRDKit, loadedRDKit, takeRDKitLog, type RDKitModule, type RDKitMol, type RDKitMolList } from './rdkit';
import { formulaFromInchi } from './formula';
import { DESCRIPTORS, type DescriptorValues } from './descriptors';

export type StructureFormat = 'smiles' | 'molblock';

export type ChemErrorCode =
  | 'STRUCTURE_EMPTY'
  | 'STRUCTURE_INVALID'
  | 'STRUCTURE_TOO_LARGE'
  | 'INCHI_FAILED'
  | 'DESCRIPTORS_FAILED'
  /** RDKit itself failed (WebAssembly trap); the instance is replaced. */
  | 'CHEM_ENGINE_ERROR';

export interface ChemFailure {
  ok: false;
  code: ChemErrorCode;
  reason: string;
}

export interface RegisteredStructure {
  ok: true;
  /** The input exactly as given (salts, solvents, original spelling), for the caller to record. */
  input: string;
  format: StructureFormat;
  /** RDKit canonical isomeric SMILES of the parent. */
  canonicalSmiles: string;
  /** Standard InChI / InChIKey of the parent. */
  inchi: string;
  inchikey: string;
  /** Hill formula with charge, e.g. `C9H8O4`, `C6H5O-`. */
  formula: string;
  /** True when other fragments (counter-ions, solvents) were dropped to get the parent. */
  strippedFragments: boolean;
  /** Morgan radius 2, 2048 bits (256 bytes), for similarity search. */
  morganFp: Uint8Array;
  /** RDKit pattern fingerprint, 2048 bits (256 bytes), to screen substructure search. */
  patternFp: Uint8Array;
}

export type StructureResult = RegisteredStructure | ChemFailure;

/** One value per entry of chem/descriptors.ts, by its `field`. */
export type Descriptors = { ok: true } & DescriptorValues;

export type DescriptorResult = Descriptors | ChemFailure;

export const structureLimits = {
  maxSmilesChars: 20_000,
  /** Molblocks spend ~70 characters per atom line; the heavy-atom limit plus hydrogens fit. */
  maxMolblockChars: 500_000,
  /**
   * RDKit.js recurses on WebAssembly's small fixed stack: a 600-atom chain or
   * ring overflows it (memory access out of bounds) and a 700-atom chain
   * corrupts memory and never returns from get_smiles. 500 passes every call
   * we make with a margin; counted on the text before RDKit parses it.
   */
  maxHeavyAtoms: 500
} as const;

export const FINGERPRINT_BYTES = 256;
const MORGAN_DETAILS = JSON.stringify({ radius: 2, nBits: 2048 });
const PATTERN_DETAILS = JSON.stringify({ nBits: 2048 });

const fail = (code: ChemErrorCode, reason: string): ChemFailure => ({ ok: false, code, reason });

export function registerStructure(
  input: string,
  format: StructureFormat,
  rdkit: RDKitModule = loadedRDKit()
): StructureResult {
  let mol: RDKitMol | null = null;
  let parent: RDKitMol | null = null;
  takeRDKitLog(rdkit); // start from an empty log so the reason is this input's
  try {
    const parsed = parseStructure(rdkit, input, format);
    if (!parsed.ok) return parsed;
    mol = parsed.mol;

    let canonicalSmiles = mol.get_smiles();
    let strippedFragments = false;
    let reparse = false;
    if (canonicalSmiles.includes('.')) {
      const chosen = chooseParent(rdkit, mol, canonicalSmiles);
      strippedFragments = chosen.stripped;
      reparse = chosen.smiles !== canonicalSmiles;
      canonicalSmiles = chosen.smiles;
    }
    // Atom-map numbers (reaction exports) change canonical order but not the compound.
    if (/:\d+\]/.test(canonicalSmiles)) {
      canonicalSmiles = canonicalSmiles.replace(/:\d+\]/g, ']');
      reparse = true;
    }
    if (reparse) {
      // Canonicalise the parent on its own, so "aspirin" and "aspirin sodium salt"
      // give byte-identical SMILES.
      parent = rdkit.get_mol(canonicalSmiles);
      if (!parent) return fail('STRUCTURE_INVALID', reasonFromLog(takeRDKitLog(rdkit), 'smiles', canonicalSmiles));
      canonicalSmiles = parent.get_smiles();
    }
    const target = parent ?? mol;

    const inchi = target.get_inchi();
    if (!inchi) return fail('INCHI_FAILED', inchiFailureReason(canonicalSmiles, takeRDKitLog(rdkit)));
    const inchikey = rdkit.get_inchikey_for_inchi(inchi);
    if (!inchikey) return fail('INCHI_FAILED', `no InChIKey for ${inchi}`);

    return {
      ok: true,
      input,
      format,
      canonicalSmiles,
      inchi,
      inchikey,
      formula: formulaFromInchi(inchi),
      strippedFragments,
      morganFp: target.get_morgan_fp_as_uint8array(MORGAN_DETAILS) as Uint8Array,
      patternFp: target.get_pattern_fp_as_uint8array(PATTERN_DETAILS) as Uint8Array
    };
  } catch (err) {
    return engineFailure(rdkit, err);
  } finally {
    parent?.delete();
    mol?.delete();
    takeRDKitLog(rdkit);
  }
}

/** The second pass: physchem descriptors of a registered parent (from its canonical SMILES). */
export function computeDescriptors(canonicalSmiles: string, rdkit: RDKitModule = loadedRDKit()): DescriptorResult {
  let mol: RDKitMol | null = null;
  takeRDKitLog(rdkit);
  try {
    const parsed = parseStructure(rdkit, canonicalSmiles, 'smiles');
    if (!parsed.ok) return parsed;
    mol = parsed.mol;
    const d = JSON.parse(mol.get_descriptors()) as Record<string, number>;
    // RDKit's doubles carry binary noise (180.15899999999996); 4–6 decimals are all that mean anything.
    const result = { ok: true } as Descriptors;
    for (const spec of DESCRIPTORS) result[spec.field] = spec.round === null ? d[spec.rdkit] : round(d[spec.rdkit], spec.round);
    const missing = Object.entries(result).filter(([k, v]) => k !== 'ok' && !Number.isFinite(v));
    if (missing.length) return fail('DESCRIPTORS_FAILED', `RDKit gave no value for ${missing.map(([k]) => k).join(', ')}`);
    return result;
  } catch (err) {
    return engineFailure(rdkit, err);
  } finally {
    mol?.delete();
    takeRDKitLog(rdkit);
  }
}

const round = (value: number, decimals: number) =>
  typeof value === 'number' ? Math.round(value * 10 ** decimals) / 10 ** decimals : NaN;

export type ParsedStructure = { ok: true; mol: RDKitMol } | ChemFailure;

/** Parse with the checks RDKit does not do (size, format confusion, no atoms). Caller deletes `mol`. */
export function parseStructure(rdkit: RDKitModule, input: string, format: StructureFormat): ParsedStructure {
  if (format !== 'smiles' && format !== 'molblock') return fail('STRUCTURE_INVALID', `unknown structure format "${format}"`);
  if (typeof input !== 'string' || input.trim() === '') return fail('STRUCTURE_EMPTY', 'no structure given');
  let text = input;
  if (format === 'smiles') {
    text = input.trim();
    if (text.length > structureLimits.maxSmilesChars)
      return fail('STRUCTURE_TOO_LARGE', `SMILES is ${text.length} characters; the limit is ${structureLimits.maxSmilesChars}`);
    // get_mol picks the parser by content: a newline, "M  END" or "commonchem"
    // would send a SMILES column value to the molblock or JSON reader.
    if (/[\r\n]/.test(text)) return fail('STRUCTURE_INVALID', 'SMILES must be a single line');
    if (text.includes('commonchem')) return fail('STRUCTURE_INVALID', 'SMILES Parse Error: not a SMILES string');
  } else {
    if (input.length > structureLimits.maxMolblockChars)
      return fail('STRUCTURE_TOO_LARGE', `molblock is ${input.length} characters; the limit is ${structureLimits.maxMolblockChars}`);
    if (!input.includes('M  END')) return fail('STRUCTURE_INVALID', 'molblock has no "M  END" line');
  }

  const counted = format === 'smiles' ? heavyAtomsInSmiles(text) : heavyAtomsInMolblock(text);
  if (counted > structureLimits.maxHeavyAtoms) return tooManyAtoms(counted);

  const mol = rdkit.get_mol(text);
  if (!mol || !mol.is_valid()) {
    mol?.delete();
    return fail('STRUCTURE_INVALID', reasonFromLog(takeRDKitLog(rdkit), format, text));
  }
  // get_mol reads molblocks unsanitised and sanitises afterwards, so its
  // removeHs never runs: explicit H atoms would stay in the graph and the
  // canonical SMILES ([H]OC(=O)…) would differ from the same structure as SMILES.
  if (format === 'molblock' && mol.get_num_atoms() > mol.get_num_atoms(true)) mol.remove_hs_in_place();
  const heavyAtoms = mol.get_num_atoms(true);
  if (mol.get_num_atoms() === 0) {
    mol.delete();
    return fail('STRUCTURE_EMPTY', 'structure has no atoms');
  }
  if (heavyAtoms > structureLimits.maxHeavyAtoms) {
    mol.delete();
    return tooManyAtoms(heavyAtoms);
  }
  return { ok: true, mol };
}

const tooManyAtoms = (n: number) =>
  fail('STRUCTURE_TOO_LARGE', `${n} heavy atoms; the limit is ${structureLimits.maxHeavyAtoms}`);

const HYDROGEN = new Set(['H', 'D', 'T']);

/** Heavy atoms written in a SMILES (bracket atoms other than hydrogen, organic-subset atoms, `*`). */
export function heavyAtomsInSmiles(smiles: string): number {
  let count = 0;
  for (let i = 0; i < smiles.length; i++) {
    const ch = smiles[i];
    if (ch === ' ' || ch === '\t') break; // CXSMILES extensions and names follow
    if (ch === '[') {
      const end = smiles.indexOf(']', i);
      const element = /^\d*([A-Za-z][a-z]?|\*)/.exec(smiles.slice(i + 1, end < 0 ? undefined : end))?.[1];
      if (!element || !HYDROGEN.has(element)) count++;
      if (end < 0) break;
      i = end;
    } else if (/[BCNOPSFIbcnops*]/.test(ch)) {
      count++;
      if ((ch === 'C' && smiles[i + 1] === 'l') || (ch === 'B' && smiles[i + 1] === 'r')) i++;
    }
  }
  return count;
}

/** Heavy atoms listed in a V2000 or V3000 molblock's atom block. */
export function heavyAtomsInMolblock(molblock: string): number {
  const lines = molblock.split(/\r?\n/);
  const v3000 = lines.findIndex((l) => l.startsWith('M  V30 BEGIN ATOM'));
  let count = 0;
  if (v3000 >= 0) {
    for (let i = v3000 + 1; i < lines.length && !lines[i].startsWith('M  V30 END ATOM'); i++) {
      const element = lines[i].split(/\s+/)[3];
      if (element && !HYDROGEN.has(element)) count++;
    }
    return count;
  }
  const atoms = Number.parseInt(lines[3]?.slice(0, 3) ?? '', 10) || 0;
  for (let i = 4; i < 4 + atoms && i < lines.length; i++) {
    const element = lines[i].slice(31, 34).trim();
    if (!HYDROGEN.has(element)) count++;
  }
  return count;
}

/**
 * The parent of a multi-fragment structure: the largest fragment (heavy
 * atoms) among those containing carbon, passing over common counter-ions and
 * solvents (nicotine citrate → nicotine, though citrate is larger); ties go
 * to the smallest canonical SMILES so the choice never depends on input
 * order. When every organic fragment is a known counter-ion or solvent, the
 * largest of them is the parent; a mixture with no carbon at all (an
 * inorganic salt) is kept whole.
 */
function chooseParent(rdkit: RDKitModule, mol: RDKitMol, wholeSmiles: string): { smiles: string; stripped: boolean } {
  const atoms = atomicNumbers(mol);
  const { molList, mappings } = mol.get_frags() as { molList: RDKitMolList; mappings: string };
  try {
    const fragAtoms = (JSON.parse(mappings) as { fragsMolAtomMapping: number[][] }).fragsMolAtomMapping;
    const organic = fragAtoms
      .map((idx, i) => ({ i, heavy: idx.filter((a) => atoms[a] > 1).length, hasCarbon: idx.some((a) => atoms[a] === 6) }))
      .filter((f) => f.hasCarbon)
      .map((f) => ({ ...f, smiles: '', counterion: false }));
    if (organic.length === 0) return { smiles: wholeSmiles, stripped: false };
    for (const f of organic) {
      const frag = molList.at(f.i);
      if (!frag) throw new Error(`fragment ${f.i} missing`);
      try {
        f.smiles = frag.get_smiles();
        // Only a choice between organic fragments needs the (costlier) InChI look-up.
        f.counterion = organic.length > 1 && isCounterion(rdkit, frag);
      } finally {
        frag.delete();
      }
    }
    const parents = organic.some((f) => !f.counterion) ? organic.filter((f) => !f.counterion) : organic;
    parents.sort((a, b) => b.heavy - a.heavy || (a.smiles < b.smiles ? -1 : a.smiles > b.smiles ? 1 : 0));
    return { smiles: parents[0].smiles, stripped: true };
  } finally {
    molList.delete();
  }
}

/**
 * Counter-ions and solvents met in registration files, matched on the first
 * InChIKey block (connectivity only), so every protonation state and
 * stereo form of e.g. tartaric acid matches one entry.
 */
const COUNTERIONS_AND_SOLVENTS = [
  'CC(=O)O', 'OC=O', 'OC(=O)C(F)(F)F', 'CS(=O)(=O)O', 'CCS(=O)(=O)O', 'Cc1ccc(cc1)S(=O)(=O)O', 'OS(=O)(=O)c1ccccc1',
  'OC(=O)C=CC(=O)O', 'OC(=O)CCC(=O)O', 'OC(=O)C(=O)O', 'OC(=O)CC(O)C(=O)O', 'OC(C(O)C(=O)O)C(=O)O',
  'OC(=O)CC(O)(CC(=O)O)C(=O)O', 'CC(O)C(=O)O', 'OC(=O)c1ccccc1', 'OS(=O)(=O)CCS(=O)(=O)O',
  'OC(=O)c1cc2ccccc2c(Cc2c(O)c(cc3ccccc23)C(=O)O)c1O', // pamoic acid
  'CCCCCCCCCCCCCCCCCC(=O)O', // stearic acid
  'CNCC(O)C(O)C(O)C(O)CO', // meglumine
  'NC(CO)(CO)CO', // tromethamine
  'CCO', 'CO', 'CC(C)O', 'CC(C)=O', 'CS(C)=O', 'CN(C)C=O', 'CCOC(C)=O', 'CC#N', 'ClCCl', 'ClC(Cl)Cl', 'CCOCC', 'C1CCOC1',
  'C1COCCO1', 'CC(C)(C)OC', 'CCCCCC', 'CCCCCCC', 'Cc1ccccc1'
];
const counterionSkeletons = new WeakMap<RDKitModule, Set<string>>();

function isCounterion(rdkit: RDKitModule, frag: RDKitMol): boolean {
  let skeletons = counterionSkeletons.get(rdkit);
  if (!skeletons) {
    skeletons = new Set(COUNTERIONS_AND_SOLVENTS.map((smiles) => skeletonKey(rdkit, smiles)).filter((k): k is string => !!k));
    counterionSkeletons.set(rdkit, skeletons);
  }
  const inchi = frag.get_inchi();
  return !!inchi && skeletons.has(rdkit.get_inchikey_for_inchi(inchi).slice(0, 14));
}

function skeletonKey(rdkit: RDKitModule, smiles: string): string | null {
  const mol = rdkit.get_mol(smiles);
  try {
    const inchi = mol?.get_inchi();
    return inchi ? rdkit.get_inchikey_for_inchi(inchi).slice(0, 14) : null;
  } finally {
    mol?.delete();
  }
}

function atomicNumbers(mol: RDKitMol): number[] {
  const doc = JSON.parse(mol.get_json()) as {
    defaults?: { atom?: { z?: number } };
    molecules: Array<{ atoms?: Array<{ z?: number }> }>;
  };
  const z0 = doc.defaults?.atom?.z ?? 6;
  return (doc.molecules[0]?.atoms ?? []).map((a) => a.z ?? z0);
}

/**
 * RDKit's message in words. Its log for one failure is several lines: the
 * error, "check for mistakes around position N:", an echo of the input and a
 * caret line; keep the first error and the position.
 */
export function reasonFromLog(lines: string[], format: StructureFormat, input: string): string {
  let position: string | undefined;
  const useful: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/\s+/g, ' ').trim();
    const pos = /check for mistakes around position (\d+)/.exec(line);
    if (pos) {
      position ??= pos[1];
      continue;
    }
    if (!line || /^[\s~^]+$/.test(line) || line === input.trim() || useful.includes(line)) continue;
    useful.push(line);
  }
  const errors = useful.filter((l) => !/^WARNING\b/i.test(l));
  let reason =
    errors[0] ??
    useful[0] ??
    (format === 'smiles' ? 'RDKit could not read this SMILES' : 'RDKit could not read this molblock (counts line, atom or bond block)');
  if (position && !reason.includes('position')) reason += ` (around position ${position})`;
  return reason.length > 300 ? `${reason.slice(0, 297)}...` : reason;
}

function inchiFailureReason(canonicalSmiles: string, log: string[]): string {
  if (canonicalSmiles.includes('*')) return 'InChI cannot represent attachment points or query atoms (*)';
  const detail = log.find((l) => /inchi/i.test(l)) ?? log[0];
  return detail ? `InChI generation failed: ${detail}` : 'InChI generation failed';
}

function engineFailure(rdkit: RDKitModule, err: unknown): ChemFailure {
  if (err instanceof WebAssembly.RuntimeError) discardRDKit(rdkit);
  const message = err instanceof Error ? err.message : String(err);
  return fail('CHEM_ENGINE_ERROR', `RDKit failed: ${message}`.slice(0, 300));
}
