/**
 * The registry's computed descriptors, declared once. Everything else derives
 * from this list: what RDKit's `get_descriptors()` value is read and how it is
 * rounded (chem/standardize.ts `computeDescriptors`), the `molecules` columns
 * (db/schema.ts), the import's descriptor staging table and write
 * (db/access/ingest.ts), the list/sort/filter keys and `/molecules/fields`
 * (db/access/molecules.ts), the REST field names, the web pages' columns, card
 * and plot fields, labels, units and decimals, and the CSV/SDF export.
 *
 * Adding a descriptor = one entry here plus its migration (`npx drizzle-kit
 * generate` sees the new column). Order is the order shown everywhere.
 *
 * Plain data, no RDKit and no database: the browser bundle imports it too.
 */

export interface DescriptorSpec {
  /** Column name in `molecules`, the REST field and the web's key (snake_case). */
  readonly key: string;
  /** Property name in the chemistry result and the Drizzle row (camelCase). */
  readonly field: string;
  /** SQL type of the column: `float` = double precision, `integer` = int4. */
  readonly type: 'float' | 'integer';
  /** Key in RDKit.js `JSMol.get_descriptors()` JSON. */
  readonly rdkit: string;
  /** Decimals kept from RDKit's double (binary noise beyond it); null = stored as given (counts). */
  readonly round: number | null;
  /** Label in the API (`GET /molecules/fields`). */
  readonly label: string;
  /** Short, conventional label in the web pages' column headers, cards and plots. */
  readonly short: string;
  /** One line on what it is (molecule page tooltip). */
  readonly help: string;
  /** Unit shown beside the value, if any. */
  readonly unit: string | null;
  /** Decimals shown in the web pages. */
  readonly decimals: number;
}

export const DESCRIPTORS = [
  { key: 'average_mw', field: 'averageMw', type: 'float', rdkit: 'amw', round: 4, label: 'MW', short: 'MW', help: 'Average molecular weight', unit: 'g/mol', decimals: 2 },
  { key: 'exact_mass', field: 'exactMass', type: 'float', rdkit: 'exactmw', round: 6, label: 'Exact mass', short: 'Exact mass', help: 'Monoisotopic mass', unit: 'Da', decimals: 4 },
  { key: 'clogp', field: 'clogp', type: 'float', rdkit: 'CrippenClogP', round: 4, label: 'cLogP', short: 'cLogP', help: 'Crippen calculated logP', unit: null, decimals: 2 },
  { key: 'tpsa', field: 'tpsa', type: 'float', rdkit: 'tpsa', round: 4, label: 'TPSA', short: 'TPSA', help: 'Topological polar surface area', unit: 'Å²', decimals: 1 },
  { key: 'hbd', field: 'hbd', type: 'integer', rdkit: 'NumHBD', round: null, label: 'HBD', short: 'HBD', help: 'Hydrogen-bond donors (Lipinski)', unit: null, decimals: 0 },
  { key: 'hba', field: 'hba', type: 'integer', rdkit: 'NumHBA', round: null, label: 'HBA', short: 'HBA', help: 'Hydrogen-bond acceptors (Lipinski)', unit: null, decimals: 0 },
  { key: 'rotatable_bonds', field: 'rotatableBonds', type: 'integer', rdkit: 'NumRotatableBonds', round: null, label: 'Rotatable bonds', short: 'Rot. bonds', help: 'Rotatable bonds', unit: null, decimals: 0 },
  { key: 'heavy_atoms', field: 'heavyAtoms', type: 'integer', rdkit: 'NumHeavyAtoms', round: null, label: 'Heavy atoms', short: 'Heavy atoms', help: 'Heavy (non-hydrogen) atoms', unit: null, decimals: 0 },
  { key: 'aromatic_rings', field: 'aromaticRings', type: 'integer', rdkit: 'NumAromaticRings', round: null, label: 'Aromatic rings', short: 'Arom. rings', help: 'Aromatic rings', unit: null, decimals: 0 },
  { key: 'fraction_csp3', field: 'fractionCsp3', type: 'float', rdkit: 'FractionCSP3', round: 4, label: 'Fraction Csp3', short: 'Fsp3', help: 'Fraction of sp3 carbons', unit: null, decimals: 2 }
] as const satisfies readonly DescriptorSpec[];

export type Descriptor = (typeof DESCRIPTORS)[number];
/** `average_mw`, `clogp`, …: column, REST field and web key. */
export type DescriptorKey = Descriptor['key'];
/** `averageMw`, `clogp`, …: chemistry result and Drizzle row property. */
export type DescriptorField = Descriptor['field'];

export const DESCRIPTOR_KEYS: readonly DescriptorKey[] = DESCRIPTORS.map((d) => d.key);
export const DESCRIPTOR_FIELDS: readonly DescriptorField[] = DESCRIPTORS.map((d) => d.field);

/** One molecule's descriptor values by field (`{ averageMw, exactMass, … }`). */
export type DescriptorValues = { [D in Descriptor as D['field']]: number };

/** The declaration of `key`, or undefined when `key` is not a descriptor. */
export const descriptorByKey = (key: string): Descriptor | undefined => DESCRIPTORS.find((d) => d.key === key);

/** A record with one entry per descriptor, keyed by its key (`{ average_mw: f(spec), … }`), in declaration order. */
export function byDescriptorKey<V>(f: (d: Descriptor) => V): { [K in DescriptorKey]: V } {
  return Object.fromEntries(DESCRIPTORS.map((d) => [d.key, f(d)])) as { [K in DescriptorKey]: V };
}

/** A record with one entry per descriptor, keyed by its field (`{ averageMw: f(spec), … }`), in declaration order. */
export function byDescriptorField<V>(f: (d: Descriptor) => V): { [F in DescriptorField]: V } {
  return Object.fromEntries(DESCRIPTORS.map((d) => [d.field, f(d)])) as { [F in DescriptorField]: V };
}
