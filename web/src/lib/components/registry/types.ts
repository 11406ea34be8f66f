/**
 * Shapes of the registry REST API (/api/v1/molecules, /imports, /import-templates)
 * as the pages use them. Kept here, beside the components, so the pages depend
 * only on the REST contract and never on the data layer.
 */

/** As web/src/lib/server/api/respond.ts `Meta`. */
export type Meta = { page: number; page_size: number; total: number; total_is_estimate?: boolean };
export type Envelope<T> = { data: T; meta?: Meta };
export type ApiErrorBody = { error: { code: string; message: string; details?: { field?: string; message: string }[] } };

export const DESCRIPTOR_KEYS = [
  'average_mw',
  'exact_mass',
  'clogp',
  'tpsa',
  'hbd',
  'hba',
  'rotatable_bonds',
  'heavy_atoms',
  'aromatic_rings',
  'fraction_csp3'
] as const;
export type DescriptorKey = (typeof DESCRIPTOR_KEYS)[number];
export type Descriptors = Record<DescriptorKey, number | null>;

export type PropertyValue = { value: number | null; value_text: string | null; unit: string | null };

/** One row of GET /molecules. */
export type MoleculeRow = Descriptors & {
  id: string;
  registry_number: string;
  name: string | null;
  canonical_smiles: string;
  inchikey: string;
  formula: string;
  descriptors_pending: boolean;
  created_at: string;
  depiction_url: string;
  identifiers: { label: string; value: string }[];
  properties: Record<string, PropertyValue>;
};

/** GET /molecules/:id (and the POST result). */
export type Molecule = Descriptors & {
  id: string;
  registry_number: string;
  name: string | null;
  canonical_smiles: string;
  inchi: string;
  inchikey: string;
  formula: string;
  descriptors_pending: boolean;
  created_at: string;
  depiction_url: string;
  /** Other names it was registered under (also among `identifiers`, label `synonym`). */
  synonyms: string[];
  identifiers: { label: string; value: string; import_id: string | null; created_at: string }[];
  properties: (PropertyValue & { name: string; source: string; import_id: string | null; created_at: string })[];
  inputs: { input: string; input_format: string; stripped_fragments: boolean; import_id: string | null; row_number: number | null; created_at: string }[];
  imports: { id: string; filename: string; created_at: string }[];
  libraries?: { id: string; name: string; lane: string }[];
  created?: boolean;
};

export type FieldColumn = { key: string; label: string; type: string };
export type Fields = {
  columns: FieldColumn[];
  properties: { name: string; unit: string | null; count: number }[];
  identifier_labels: { label: string; count: number }[];
};

export type StructureType = 'smiles' | 'molblock';
export type Mapping = {
  structure: { column: string; type: StructureType };
  name?: { column: string } | null;
  identifiers: { column: string; label: string }[];
  properties: { column: string; name: string; unit?: string | null }[];
};

export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'reverted';
export const ACTIVE_STATUSES: ImportStatus[] = ['queued', 'running'];

export type ImportJob = {
  id: string;
  filename: string;
  format: 'csv' | 'tsv' | 'sdf';
  size_bytes: number;
  status: ImportStatus;
  total_rows: number | null;
  processed_rows: number;
  registered: number;
  duplicates: number;
  invalid: number;
  descriptors_done: number;
  mapping: Mapping | null;
  error: { code: string; message: string } | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  reverted_at: string | null;
  created_by: { id: string; name: string } | null;
};

export type ImportRowError = { row_number: number; raw: string; raw_truncated: boolean; code: string; reason: string };

export type ImportTemplate = { id: string; name: string; mapping: Mapping; created_at: string };

export type Preview = {
  format: 'csv' | 'tsv' | 'sdf';
  encoding: string;
  columns: string[];
  rows: Record<string, string | null>[];
  suggested_mapping: Mapping | null;
};
