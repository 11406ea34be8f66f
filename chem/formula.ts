/**
 * Molecular formulae. RDKit.js has no formula call, so there are two ways in:
 *
 * - `formulaFromInchi`: the standard InChI already holds the formula (main
 *   layer), per-component charges (/q) and the protons it moved (/p). Free
 *   once the InChI exists, so registration uses it.
 * - `elementCountsFromMolJson`: counts atoms and their implicit/explicit
 *   hydrogens from RDKit's own JSON. Independent of InChI, costs a
 *   `get_json()` (~150 µs); the generator uses it for masses and the tests use
 *   it to check the first against.
 *
 * Output follows RDKit's CalcMolFormula: Hill order (C, H, then alphabetical;
 * purely alphabetical without carbon), isotopes counted as their element,
 * charge appended as `+`, `-`, `+2`, `-3`.
 */

export type ElementCounts = Map<string, number>;

const SYMBOLS = (
  '* H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr ' +
  'Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu ' +
  'Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr ' +
  'Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og'
).split(' ');

/** Symbol for an atomic number (0 = dummy atom `*`). */
export const elementSymbol = (z: number): string => SYMBOLS[z] ?? `Z${z}`;

/** Hill-order formula with charge, e.g. `C9H8O4`, `C6H5O-`, `C4H12N+`, `ClNa`. */
export function hillFormula(counts: ElementCounts, charge: number): string {
  const present = [...counts].filter(([, n]) => n > 0);
  const hasCarbon = (counts.get('C') ?? 0) > 0;
  const rank = (el: string) => (hasCarbon ? (el === 'C' ? 0 : el === 'H' ? 1 : 2) : 2);
  present.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  let formula = present.map(([el, n]) => (n === 1 ? el : `${el}${n}`)).join('');
  if (charge !== 0) formula += `${charge > 0 ? '+' : '-'}${Math.abs(charge) === 1 ? '' : Math.abs(charge)}`;
  return formula;
}

/**
 * Formula of the structure a standard InChI describes. Components
 * (`C9H8O4.ClH.Na`, `2CH4`) are summed; /p adds or removes that many
 * protons, which changes both the H count and the charge.
 */
export function formulaFromInchi(inchi: string): string {
  const layers = inchi.split('/');
  if (!/^InChI=1S?$/.test(layers[0] ?? '') || layers.length < 2) throw new Error(`not an InChI: ${inchi}`);
  const counts: ElementCounts = new Map();
  for (const component of layers[1].split('.')) {
    const m = /^(\d*)(.*)$/.exec(component)!;
    const multiplier = m[1] ? Number(m[1]) : 1;
    for (const [, el, n] of m[2].matchAll(/([A-Z][a-z]?)(\d*)/g)) add(counts, el, multiplier * (n ? Number(n) : 1));
  }
  let charge = 0;
  for (const layer of layers.slice(2)) {
    // Fixed-H (/f) and reconnected-metal (/r) layers repeat /q and /p for another form; standard InChI has neither.
    if (layer.startsWith('f') || layer.startsWith('r')) break;
    if (layer.startsWith('q')) {
      // One entry per component, `;`-separated, possibly with `2*+1` repeats.
      for (const entry of layer.slice(1).split(';')) {
        const r = /^(?:(\d+)\*)?([+-]\d+)?$/.exec(entry);
        if (r?.[2]) charge += Number(r[2]) * (r[1] ? Number(r[1]) : 1);
      }
    } else if (layer.startsWith('p')) {
      const protons = Number(layer.slice(1));
      add(counts, 'H', protons);
      charge += protons;
    }
  }
  return hillFormula(counts, charge);
}

interface JsonAtom {
  z?: number;
  impHs?: number;
  chg?: number;
}
interface MolJson {
  defaults?: { atom?: JsonAtom };
  molecules?: Array<{ atoms?: JsonAtom[] }>;
}

/** Element counts (hydrogens included) and net charge from `mol.get_json()`. */
export function elementCountsFromMolJson(json: string): { counts: ElementCounts; charge: number } {
  const doc = JSON.parse(json) as MolJson;
  const defaults = doc.defaults?.atom ?? {};
  const counts: ElementCounts = new Map();
  let charge = 0;
  for (const molecule of doc.molecules ?? []) {
    for (const atom of molecule.atoms ?? []) {
      const z = atom.z ?? defaults.z ?? 6;
      add(counts, elementSymbol(z), 1);
      // impHs is RDKit's total H count on the atom (implicit + bracket H), not H atoms in the graph.
      add(counts, 'H', atom.impHs ?? defaults.impHs ?? 0);
      charge += atom.chg ?? defaults.chg ?? 0;
    }
  }
  return { counts, charge };
}

export function formulaFromMolJson(json: string): string {
  const { counts, charge } = elementCountsFromMolJson(json);
  return hillFormula(counts, charge);
}

// Standard atomic weights (IUPAC, conventional values) for elements seen in
// drug-like sets; enough for the generator's mass window.
const AVERAGE_MASS: Record<string, number> = {
  H: 1.008, B: 10.81, C: 12.011, N: 14.007, O: 15.999, F: 18.998, Na: 22.99, Mg: 24.305, Si: 28.085,
  P: 30.974, S: 32.06, Cl: 35.45, K: 39.098, Ca: 40.078, Se: 78.971, Br: 79.904, I: 126.904
};

/** Average molecular weight from element counts; NaN when an element has no listed weight. */
export function averageMass(counts: ElementCounts): number {
  let mass = 0;
  for (const [el, n] of counts) mass += (AVERAGE_MASS[el] ?? NaN) * n;
  return mass;
}

function add(counts: ElementCounts, el: string, n: number) {
  counts.set(el, (counts.get(el) ?? 0) + n);
}
