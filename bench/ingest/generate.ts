/**
 * Deterministic synthetic compound sets for the ingest benchmark and tests:
 * drug-like molecules assembled from medicinal-chemistry building blocks
 * (aryl and heteroaryl rings, saturated heterocycles, cyclic amines) joined
 * by amide, sulfonamide, urea, ether, amine and direct (biaryl) links,
 * decorated with common substituents. Every structure is parsed by RDKit and
 * kept only inside the mass window, so the file is realistic input rather
 * than random strings; no external dataset is needed.
 *
 *   node --import tsx bench/ingest/generate.ts --rows 100000 --out /tmp/x.csv [--seed 42]
 *        [--salts 0.05] [--duplicates 0.05] [--garbage 0]
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { getRDKit, takeRDKitLog, type RDKitModule } from '../../chem/rdkit';
import { averageMass, elementCountsFromMolJson } from '../../chem/formula';
import { heavyAtomsInSmiles } from '../../chem/standardize';

export interface GenerateOptions {
  /** Share of rows written as salts or hydrates of a unique parent (`.Cl`, `.O`, mesylate…). Default 0.05. */
  saltFraction?: number;
  /** Share of rows repeating an earlier structure (same or another spelling). Default 0.05 (~95% unique). */
  duplicateFraction?: number;
  /** Share of rows whose SMILES RDKit rejects (typos, bad valence, empty). Default 0. */
  garbageFraction?: number;
  /** Average MW window of the parents. Default [200, 550]. */
  mwRange?: [number, number];
}

export type GeneratedKind = 'unique' | 'salt' | 'duplicate' | 'garbage';

export interface GeneratedMolecule {
  smiles: string;
  name: string;
  sponsorId: string;
  /** As written in the CSV: a number, `>10000`, or empty. */
  ic50nM: string;
  solubilityUM: string;
  kind: GeneratedKind;
  /** RDKit canonical SMILES of the parent (empty for garbage), for tests to check against. */
  parentSmiles: string;
}

export const CSV_HEADER = ['smiles', 'name', 'sponsor_id', 'ic50_nM', 'solubility_uM'] as const;

// ── Building blocks ──────────────────────────────────────────────────────────
// Each block is written from its attachment atom; `{c}`, `{C}`, `{N}` mark
// where a substituent may go and on what kind of atom (aromatic C, aliphatic C,
// ring NH). Ring-closure digits are local and renumbered on assembly.

const ARYL = [
  'c1c{c}c{c}c{c}c{c}c1{c}', // phenyl
  'c1c{c}c{c}c{c}c{c}c1{c}',
  'c1c{c}c{c}c{c}c{c}n1', // 2-pyridyl
  'c1c{c}nc{c}c{c}c1{c}', // 3-pyridyl
  'c1c{c}c{c}nc{c}c1{c}', // 4-pyridyl
  'c1nc{c}c{c}c{c}n1', // pyrimidin-2-yl
  'c1c{c}nc{c}nc1{c}', // pyrimidin-5-yl
  'c1c{c}nc{c}c{c}n1', // pyrazinyl
  'c1c{c}c{c}c{c}s1', // thiophen-2-yl
  'c1c{c}sc{c}c1{c}', // thiophen-3-yl
  'c1c{c}c{c}c{c}o1', // furan-2-yl
  'c1nc{c}c{c}s1', // thiazol-2-yl
  'c1cnn(C)c1', // 1-methylpyrazol-4-yl
  'c1cnn(CC)c1',
  'c1cn[nH]c1',
  'c1cnn(C2CC2)c1',
  'c1c{c}c(C)on1', // 5-methylisoxazol-3-yl
  'c1nc(C)no1', // 3-methyl-1,2,4-oxadiazol-5-yl
  'c1nnc(C)o1', // 1,3,4-oxadiazolyl
  'c1cn(C)cn1', // 1-methylimidazol-4-yl
  'c1ccc2[nH]ccc2c1', // indol-5-yl
  'c1nc2ccccc2[nH]1', // benzimidazol-2-yl
  'c1cnc2ccccc2c1', // quinolin-3-yl
  'c1ccc2ncccc2c1{c}', // quinolin-6-yl
  'c1ccc2ccccc2c1', // 2-naphthyl
  'c1nc2ccccc2s1', // benzothiazol-2-yl
  'c1ccc2OCOc2c1', // 1,3-benzodioxol-5-yl
  'c1ccc2[nH]ncc2c1', // indazol-5-yl
  'c1cnc2ccccc2n1', // quinoxalin-2-yl
  'c1ccc2OCCc2c1', // 2,3-dihydrobenzofuran-5-yl
  'c1ccc2c(c1)CCN2C(C)=O', // N-acetylindolinyl
  'c1ncnc2[nH]ccc12' // 7-deazapurine (pyrrolo[2,3-d]pyrimidine)
];

const SATURATED = [
  'C1CC1',
  'C1CCC1',
  'C1CCCC1',
  'C1CCC{C}CC1', // cyclohexyl
  'C1CCOCC1', // tetrahydropyran-4-yl
  'C1COC1', // oxetan-3-yl
  'C1CCN{N}CC1', // piperidin-4-yl
  '[C@H]1CCN{N}C1', // (S/R)-pyrrolidin-3-yl
  '[C@@H]1CCN{N}C1',
  'C1CN{N}C1', // azetidin-3-yl
  '[C@@H]1CCCO1', // tetrahydrofurfuryl ring
  'C1CC2CCC1N2C' // tropane-like
];

const AMINES = [
  'N1CCOCC1', // morpholino
  'N1CCC{C}CC1', // piperidino
  'N1CCC{C}C1', // pyrrolidino
  'N1CCN{N}CC1', // piperazino
  'N1CCN{N}CC1',
  'N1CCCN{N}CC1', // homopiperazino
  'N1CC{C}C1', // azetidino
  'N1CCS(=O)(=O)CC1',
  'N(C)C',
  'N(CC)CC',
  'N1CC2(C1)COC2', // 2-oxa-6-azaspiro[3.3]heptane
  'N1CCC(F)(F)C1',
  'N1CCC(O)CC1',
  'N1C[C@@H](C)O[C@@H](C)C1', // cis-2,6-dimethylmorpholino
  'N1CCC[C@H]1C(=O)N' // prolinamide
];

/** Small substituents for a carbon. */
const SMALL_ON_C = [
  'F', 'F', 'Cl', 'Cl', 'Br', 'C', 'C', 'CC', 'OC', 'OC', 'OCC', 'C(F)(F)F', 'C(F)(F)F', 'OC(F)(F)F', 'OC(F)F',
  'C#N', 'N(C)C', 'S(C)(=O)=O', 'C(N)=O', 'O', 'N', 'C(=O)OC', 'C1CC1', 'C(C)C', 'C(C)(C)C', 'CO', 'NC(C)=O', 'S(N)(=O)=O'
];
/** Small substituents for a ring NH. */
const SMALL_ON_N = [
  'C', 'C', 'CC', 'C(C)=O', 'C(=O)OC(C)(C)C', 'S(C)(=O)=O', 'CC(F)(F)F', 'C1CC1', 'C(=O)C1CC1', 'CCO', 'C(C)C', 'CCOC'
];

interface Linker {
  smiles: string;
  /** First and last atom of the linker ('' = a direct bond). */
  head: string;
  tail: string;
  weight: number;
}
const L = (smiles: string, head: string, tail: string, weight: number): Linker => ({ smiles, head, tail, weight });
const LINKERS: Linker[] = [
  L('', '', '', 6), // biaryl / N-aryl / C-C
  L('C(=O)N', 'C', 'N', 8), // amide
  L('NC(=O)', 'N', 'C', 8), // reverse amide
  L('S(=O)(=O)N', 'S', 'N', 3), // sulfonamide
  L('NS(=O)(=O)', 'N', 'S', 3),
  L('NC(=O)N', 'N', 'N', 2), // urea
  L('C(=O)', 'C', 'C', 4), // ketone / acyl
  L('S(=O)(=O)', 'S', 'S', 2), // sulfone / sulfonyl
  L('C', 'C', 'C', 5), // methylene
  L('CC', 'C', 'C', 2),
  L('O', 'O', 'O', 3), // ether
  L('OC', 'O', 'C', 2),
  L('CO', 'C', 'O', 2),
  L('N', 'N', 'N', 3), // amine
  L('NC', 'N', 'C', 2),
  L('CN', 'C', 'N', 2),
  L('C(=O)NC', 'C', 'C', 2),
  L('CNC(=O)', 'C', 'C', 2),
  L('OCC', 'O', 'C', 1),
  L('C#C', 'C', 'C', 1),
  L('OC(=O)N', 'O', 'N', 1) // carbamate
];
const LINKER_TOTAL = LINKERS.reduce((s, l) => s + l.weight, 0);

const SALTS = ['Cl', 'Cl', 'Cl', 'O', 'Cl.Cl', 'CS(=O)(=O)O', 'OC(=O)C(F)(F)F', 'O.O', 'OC(=O)/C=C/C(=O)O', 'OS(=O)(=O)O'];

// ── Deterministic randomness ─────────────────────────────────────────────────

type Rng = () => number;

/** mulberry32: small, fast and good enough for sampling; same seed → same file. */
function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
/** Fisher–Yates in place. */
function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
function pickLinker(rng: Rng, ok: (l: Linker) => boolean): Linker {
  for (let tries = 0; tries < 20; tries++) {
    let r = rng() * LINKER_TOTAL;
    for (const l of LINKERS) if ((r -= l.weight) < 0) {
      if (ok(l)) return l;
      break;
    }
  }
  return LINKERS[0];
}

// ── Assembly ─────────────────────────────────────────────────────────────────

/** Give a fragment's ring-closure digits fresh molecule-wide labels, so fragments nest without clashes. */
function renumberRings(smiles: string, nextLabel: () => number): string {
  const open = new Map<string, number>();
  let out = '';
  for (let i = 0; i < smiles.length; i++) {
    const ch = smiles[i];
    if (ch === '[') {
      const end = smiles.indexOf(']', i);
      out += smiles.slice(i, end + 1);
      i = end;
      continue;
    }
    let local: string | null = null;
    if (ch >= '0' && ch <= '9') local = ch;
    else if (ch === '%') {
      local = smiles.slice(i + 1, i + 3);
      i += 2;
    }
    if (local === null) {
      out += ch;
      continue;
    }
    let label = open.get(local);
    if (label === undefined) {
      label = nextLabel();
      open.set(local, label);
    } else open.delete(local);
    out += label < 10 ? String(label) : `%${label}`;
  }
  return out;
}

type SlotAtom = 'c' | 'C' | 'N';

// A root needs somewhere to hang its branches.
const hasSlot = (t: string) => /\{[cCN]\}/.test(t);
const ROOT_ARYL = ARYL.filter(hasSlot);
const ROOT_SATURATED = SATURATED.filter(hasSlot);
const ROOT_AMINES = AMINES.filter((t) => t.includes('{N}'));

class Assembler {
  private label = 0;
  constructor(private rng: Rng) {}

  private next = () => ++this.label;

  /** One molecule: a ring at the root, 1–3 linked blocks, light decoration. */
  molecule(): string {
    this.label = 0;
    const rng = this.rng;
    const r = rng();
    const root = pick(rng, r < 0.75 ? ROOT_ARYL : r < 0.87 ? ROOT_SATURATED : ROOT_AMINES);
    const branches = rng() < 0.35 ? 1 : rng() < 0.8 ? 2 : 3;
    return this.block(root, branches, 0);
  }

  private block(template: string, branches: number, depth: number): string {
    const rng = this.rng;
    const smiles = renumberRings(template, this.next);
    const slots = [...smiles.matchAll(/\{([cCN])\}/g)].map((m) => m[1] as SlotAtom);
    const fills: string[] = slots.map(() => '');
    const order = shuffle(rng, slots.map((_, i) => i));
    let placed = 0;
    for (const i of order) {
      if (placed < branches) {
        fills[i] = `(${this.branch(slots[i], depth)})`;
        placed++;
      } else if (rng() < 0.22) {
        fills[i] = `(${renumberRings(pick(rng, slots[i] === 'N' ? SMALL_ON_N : SMALL_ON_C), this.next)})`;
      }
    }
    let k = 0;
    return smiles.replace(/\{[cCN]\}/g, () => fills[k++]);
  }

  /** A linker and the block it carries, chosen so no N–N, N–O or O–O bond appears. */
  private branch(on: SlotAtom, depth: number): string {
    const rng = this.rng;
    const heteroTail = (t: string) => t === 'N' || t === 'O';
    const linker = pickLinker(rng, (l) => !(on === 'N' && (heteroTail(l.head) || l.smiles === 'NC(=O)N')));
    const attachOnHetero = linker.smiles === '' ? on === 'N' : heteroTail(linker.tail);
    const kinds = attachOnHetero ? ['aryl', 'aryl', 'saturated'] : ['aryl', 'aryl', 'aryl', 'saturated', 'amine', 'amine'];
    const kind = pick(rng, kinds);
    const template = kind === 'aryl' ? pick(rng, ARYL) : kind === 'saturated' ? pick(rng, SATURATED) : pick(rng, AMINES);
    const more = depth === 0 && rng() < 0.3 ? 1 : 0;
    return linker.smiles + this.block(template, more, depth + 1);
  }
}

// ── Generation ───────────────────────────────────────────────────────────────

interface Parent {
  smiles: string;
  canonical: string;
}

/** Parse with RDKit; the canonical SMILES when it reads and its MW is inside the window. */
function validate(rdkit: RDKitModule, smiles: string, mw: [number, number]): string | null {
  // With these blocks a heavy atom and its hydrogens average 13–20 Da (every
  // accepted structure in 100k had 10–41 heavy atoms): skip RDKit for
  // assemblies that cannot land in the window.
  const heavy = heavyAtomsInSmiles(smiles);
  if (heavy * 20 < mw[0] || heavy * 13 > mw[1]) return null;
  const mol = rdkit.get_mol(smiles);
  try {
    if (!mol || !mol.is_valid()) return null;
    const mass = averageMass(elementCountsFromMolJson(mol.get_json()).counts);
    return mass >= mw[0] && mass <= mw[1] ? mol.get_smiles() : null;
  } finally {
    mol?.delete();
    takeRDKitLog(rdkit);
  }
}

function isRejected(rdkit: RDKitModule, smiles: string): boolean {
  const mol = rdkit.get_mol(smiles);
  const rejected = !mol || !mol.is_valid() || mol.get_num_atoms() === 0;
  mol?.delete();
  takeRDKitLog(rdkit);
  return rejected;
}

/** A typo'd, over-valent or unkekulisable SMILES that RDKit refuses. */
function garbage(rng: Rng, rdkit: RDKitModule, from: string): string {
  const fixed = ['', 'C1CC', 'CC(C', 'c1cccc1', 'CN(C)(C)(C)C', 'C(C)(C)(C)(C)C', 'not a smiles', 'c1ccccc1)', 'Xx'];
  if (rng() < 0.3) return pick(rng, fixed);
  for (let tries = 0; tries < 10; tries++) {
    const at = Math.floor(rng() * from.length);
    const mutated =
      rng() < 0.5 ? from.slice(0, at) + from.slice(at + 1) : from.slice(0, at) + pick(rng, ['(', '1', '=', '#', 'X']) + from.slice(at);
    if (isRejected(rdkit, mutated)) return mutated;
  }
  return pick(rng, fixed);
}

const sig3 = (x: number) => String(Number(x.toPrecision(3)));

function assay(rng: Rng): { ic50nM: string; solubilityUM: string } {
  const r = rng();
  const ic50nM = r < 0.03 ? '' : r < 0.05 ? '>10000' : sig3(10 ** (-0.5 + rng() * 4.5));
  const solubilityUM = rng() < 0.05 ? '' : sig3(10 ** (-1 + rng() * 3.7));
  return { ic50nM, solubilityUM };
}

/**
 * `n` rows, identical for the same `n`, `seed` and options. Unique parents
 * first (assembled, RDKit-validated, MW-filtered), then salts, repeats and
 * garbage mixed in at their shares, shuffled.
 */
export async function generateMolecules(n = 100_000, seed = 42, options: GenerateOptions = {}): Promise<GeneratedMolecule[]> {
  const { saltFraction = 0.05, duplicateFraction = 0.05, garbageFraction = 0, mwRange = [200, 550] } = options;
  const rdkit = await getRDKit();
  const rng = createRng(seed);
  const assembler = new Assembler(rng);

  const garbageCount = Math.round(n * garbageFraction);
  const duplicateCount = Math.round(n * duplicateFraction);
  const uniqueCount = Math.max(0, n - garbageCount - duplicateCount);
  const saltCount = Math.min(uniqueCount, Math.round(n * saltFraction));

  const parents: Parent[] = [];
  const seen = new Set<string>();
  for (let attempts = 0; parents.length < uniqueCount; attempts++) {
    if (attempts > uniqueCount * 20 + 1000) throw new Error(`could only assemble ${parents.length} of ${uniqueCount} unique molecules`);
    const smiles = assembler.molecule();
    const canonical = validate(rdkit, smiles, mwRange);
    if (!canonical || seen.has(canonical)) continue;
    seen.add(canonical);
    parents.push({ smiles, canonical });
  }

  type Draft = Pick<GeneratedMolecule, 'smiles' | 'kind' | 'parentSmiles'>;
  const drafts: Draft[] = parents.map((p, i) =>
    i < saltCount
      ? { smiles: `${p.smiles}.${pick(rng, SALTS)}`, kind: 'salt', parentSmiles: p.canonical }
      : { smiles: p.smiles, kind: 'unique', parentSmiles: p.canonical }
  );
  for (let i = 0; i < duplicateCount && parents.length > 0; i++) {
    const p = pick(rng, parents);
    // Half repeat the row verbatim, half arrive in RDKit's canonical spelling.
    drafts.push({ smiles: rng() < 0.5 ? p.smiles : p.canonical, kind: 'duplicate', parentSmiles: p.canonical });
  }
  for (let i = 0; i < garbageCount; i++) {
    const from = parents.length ? pick(rng, parents).smiles : 'CCO';
    drafts.push({ smiles: garbage(rng, rdkit, from), kind: 'garbage', parentSmiles: '' });
  }
  return shuffle(rng, drafts).map((d, i) => ({
    ...d,
    name: `XL-${String(seed % 1000).padStart(3, '0')}-${String(i + 1).padStart(6, '0')}`,
    sponsorId: `SP${String(100000 + i)}`,
    ...assay(rng)
  }));
}

const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export function moleculesToCsv(rows: GeneratedMolecule[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) lines.push([r.smiles, r.name, r.sponsorId, r.ic50nM, r.solubilityUM].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

export async function writeMoleculesCsv(path: string, rows: GeneratedMolecule[]): Promise<void> {
  await writeFile(path, moleculesToCsv(rows));
}

async function main() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      out: { type: 'string' },
      seed: { type: 'string', default: '42' },
      salts: { type: 'string', default: '0.05' },
      duplicates: { type: 'string', default: '0.05' },
      garbage: { type: 'string', default: '0' }
    }
  });
  if (!values.out) {
    console.error('usage: node --import tsx bench/ingest/generate.ts --rows 100000 --out /tmp/x.csv [--seed 42] [--salts 0.05] [--duplicates 0.05] [--garbage 0]');
    process.exit(2);
  }
  const started = performance.now();
  const rows = await generateMolecules(Number(values.rows), Number(values.seed), {
    saltFraction: Number(values.salts),
    duplicateFraction: Number(values.duplicates),
    garbageFraction: Number(values.garbage)
  });
  await writeMoleculesCsv(values.out, rows);
  const kinds: Record<string, number> = {};
  for (const r of rows) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  const distinct = new Set(rows.filter((r) => r.parentSmiles).map((r) => r.parentSmiles)).size;
  console.log(
    `wrote ${rows.length} rows to ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', ') +
      `; ${distinct} distinct parents (${((100 * distinct) / rows.length).toFixed(1)}% of rows)`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
