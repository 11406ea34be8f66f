/**
 * What the import dialog shows before anything is imported: the file's
 * format, encoding, compression, columns, first rows, and a suggested column
 * mapping. Reads only the start of the file (or the slice the browser sent,
 * `partial: true`), through the same reader the import uses, so what the
 * preview shows is what the import will read.
 *
 * `suggestMapping` is a deterministic guess from header names and sample
 * values (no RDKit): structure by name (SMILES, canonical_smiles, Structure…)
 * or by content (values that look like SMILES), name (Name, Compound Name, or
 * an ID column), identifiers (…ID, …_id, Batch, Lot, Registry, CAS…),
 * properties (columns of numbers; unit parsed from the header: `IC50 (nM)`,
 * `Solubility [uM]`, `MW (g/mol)`), everything else ignored.
 */
import {
  checkMappingAgainstColumns,
  MAX_MAPPED_COLUMNS,
  SDF_MOLBLOCK_COLUMN,
  SDF_TITLE_COLUMN,
  toIdentifierLabel,
  type ImportMapping
} from '../common/import-mapping';
import { openReader, type RowErrorCode } from './readers';
import { detectFormat, readHead, type Compression, type Delimiter, type ImportFormat, type SourceInput, type TextEncodingName } from './source';
import { guessDecimalComma, isUnitLike, looksLikeMolblock, looksLikeSmiles, normalizeUnit, parsePropertyValue } from './values';

export { checkMappingAgainstColumns };

export interface PreviewOptions {
  /** The uploaded file's name (for its extension; `.gz` is looked through). */
  filename: string;
  /** The input is only the start of the file (the browser sends ~512 KB): a cut-off last row is left out. */
  partial?: boolean;
  /** Rows to return; default 20. */
  maxRows?: number;
  /** Skip format detection. */
  format?: ImportFormat;
}

export interface FilePreview {
  format: ImportFormat;
  encoding: TextEncodingName;
  compression: Compression;
  /** CSV/TSV delimiter; null for SDF. */
  delimiter: Delimiter | null;
  /** Numbers in the file write decimals with a comma (pass to `parsePropertyValue`). */
  decimalComma: boolean;
  columns: string[];
  /** The first rows that could be read (column → value). */
  rows: Array<Record<string, string>>;
  /** Rows among the first `maxRows` that could not be read, and why. */
  rowErrors: Array<{ rowNumber: number; line: number; code: RowErrorCode; reason: string }>;
  /** A mapping to start from; null when no column looks like a structure. */
  suggestedMapping: ImportMapping | null;
}

/** Format, encoding, columns, first rows and a suggested mapping of an upload (a path or its bytes). */
export async function previewFile(input: SourceInput, opts: PreviewOptions): Promise<FilePreview> {
  const maxRows = opts.maxRows ?? 20;
  const partial = opts.partial ?? false;
  const head = await readHead(input, { maxBytes: 64 * 1024 });
  const format = opts.format ?? detectFormat(opts.filename, head.text);
  const reader = await openReader(input, { format, partial });
  const rows: FilePreview['rows'] = [];
  const rowErrors: FilePreview['rowErrors'] = [];
  try {
    for await (const row of reader) {
      if ('error' in row) rowErrors.push({ rowNumber: row.rowNumber, line: row.line, code: row.error.code, reason: row.error.reason });
      else rows.push(row.fields);
      if (rows.length + rowErrors.length >= maxRows) break;
    }
  } finally {
    reader.close();
  }
  const encoding: TextEncodingName =
    head.encoding === 'windows-1252' || reader.stats.encoding === 'windows-1252' ? 'windows-1252' : reader.stats.encoding;
  const columns = [...reader.columns];
  return {
    format,
    encoding,
    compression: reader.compression,
    delimiter: reader.delimiter,
    decimalComma: reader.decimalComma,
    columns,
    rows,
    rowErrors,
    suggestedMapping: suggestMapping(columns, rows, { decimalComma: reader.decimalComma })
  };
}

// ---------------------------------------------------------------------------
// Header units

/** Superscripts in units (Å², cm³, s⁻¹) and `^2` style exponents are fine. */
const splitHeaderGroups = /\s*([([{])([^()[\]{}]*)([)\]}])/g;

/**
 * Property name and unit from a header: `IC50 (nM)` → IC50, nM;
 * `Solubility [uM]` → Solubility, µM; `MW (g/mol)` → MW, g/mol;
 * `Ki, nM` → Ki, nM; `Solubility_uM` → Solubility, µM; `Yield %` → Yield, %;
 * `logD_7.4` → logD_7.4, no unit; `Solubility (pH 7.4)` → unchanged, no unit.
 */
export function parseHeaderUnit(header: string): { name: string; unit: string | null } {
  const h = header.trim();
  const tidy = (s: string) => s.replace(/\s{2,}/g, ' ').replace(/[\s_\-,:;/]+$/, '').replace(/^[\s_\-,:;/]+/, '').trim();
  // 1. A bracketed unit anywhere (the last one that is a unit wins): "IC50 (nM)", "Sol. [uM] pH 7".
  const groups = [...h.matchAll(splitHeaderGroups)];
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i];
    const inner = stripSuperscripts(g[2]);
    if (isUnitLike(inner)) {
      const name = tidy(h.slice(0, g.index) + ' ' + h.slice(g.index! + g[0].length));
      if (name) return { name, unit: normalizeUnit(g[2]) };
    }
  }
  // 2. After a comma: "Ki, nM".
  const comma = /^(.*\S)\s*,\s*([^,]+)$/.exec(h);
  if (comma && isUnitLike(stripSuperscripts(comma[2]))) return { name: tidy(comma[1]), unit: normalizeUnit(comma[2]) };
  // 3. A last word after _ or a space: "Solubility_uM", "hERG IC50 uM", "Yield %" (not one letter like "Batch M").
  const suffix = /^(.*[^\s_])[\s_]+([^\s_]+)$/.exec(h);
  if (suffix) {
    const u = suffix[2];
    if ((u.length >= 2 || u === '%') && !/^[\d.,]+$/.test(u) && isUnitLike(stripSuperscripts(u))) {
      return { name: tidy(suffix[1]), unit: normalizeUnit(u) };
    }
  }
  // "Yield%" / "Purity%"
  const pct = /^(.*[^\s%])\s*%$/.exec(h);
  if (pct) return { name: tidy(pct[1]), unit: '%' };
  return { name: h, unit: null };
}

const stripSuperscripts = (s: string) =>
  s.replace(/[²³¹⁰⁴⁵⁶⁷⁸⁹]/g, (c) => '^' + '²³¹⁰⁴⁵⁶⁷⁸⁹'.indexOf(c)).replace(/⁻\^/g, '^-').replace(/⁻/g, '^-');

// ---------------------------------------------------------------------------
// Mapping suggestion

/** Compact lower-case key of a header: `Canonical_SMILES` → canonicalsmiles, `CompoundID` → compoundid. */
const key = (h: string) => toIdentifierLabel(h).replace(/_/g, '');
const tokensOf = (h: string) => toIdentifierLabel(h).split('_').filter(Boolean);

const STRUCTURE_NAMES = [
  'smiles', 'canonicalsmiles', 'isomericsmiles', 'cxsmiles', 'smi', 'smilesstring', 'structuresmiles', 'molsmiles',
  'compoundsmiles', 'parentsmiles', 'structure', 'chemicalstructure', 'molstructure', 'molecule', 'mol', 'molblock', 'molfile', 'ctab'
];
const NAME_NAMES = [
  'name', 'compoundname', 'cmpdname', 'moleculename', 'molname', 'chemicalname', 'commonname', 'productname', 'drugname',
  'substancename', 'compound', 'title', 'iupacname'
];
const ID_AS_NAME = [
  'compoundid', 'cmpdid', 'moleculeid', 'molid', 'id', 'corporateid', 'corpid', 'sampleid', 'sponsorid', 'registryid', 'regid',
  'registrynumber', 'registryno', 'compoundnumber', 'compoundno', 'compoundcode', 'catalogid', 'catalognumber'
];
const ID_TOKENS = new Set([
  'id', 'ids', 'batch', 'lot', 'registry', 'regno', 'reg', 'cas', 'casrn', 'barcode', 'catalog', 'catalogue', 'catno', 'code',
  'accession', 'sku', 'ref', 'reference', 'lims', 'uuid'
]);
/** Derived from the structure (the registry computes them) or row bookkeeping: never suggested. */
const IGNORED = new Set(['inchikey', 'inchi', 'stdinchi', 'stdinchikey', 'formula', 'molecularformula', 'row', 'rownumber', 'rowno', 'index', 'idx', 'no', 'nr', 'number', 'sno', 'srno', 'serialno', 'serialnumber', 'line']);

interface ColumnSample {
  column: string;
  values: string[];
}

function isIgnored(column: string): boolean {
  const k = key(column);
  return k === '' || IGNORED.has(k) || /^unnamed\d*$/.test(k) || /^column\d+$/.test(k) || column.trim() === '#';
}

/**
 * A mapping to start from, or null when no column looks like a structure.
 * Deterministic: the same columns and sample always give the same mapping.
 */
export function suggestMapping(
  columns: readonly string[],
  sampleRows: ReadonlyArray<Record<string, string>>,
  opts: { decimalComma?: boolean } = {}
): ImportMapping | null {
  const samples: ColumnSample[] = columns.map((column) => ({
    column,
    values: sampleRows.map((r) => (r[column] ?? '').trim()).filter((v) => v !== '')
  }));
  const decimalComma = opts.decimalComma ?? guessDecimalComma(samples.flatMap((s) => s.values));
  const frac = (s: ColumnSample, test: (v: string) => boolean) => (s.values.length ? s.values.filter(test).length / s.values.length : 0);

  // ── Structure
  let structure: ImportMapping['structure'] | null = null;
  if (columns.includes(SDF_MOLBLOCK_COLUMN)) structure = { column: SDF_MOLBLOCK_COLUMN, type: 'molblock' };
  if (!structure) {
    let best: { s: ColumnSample; score: number; type: 'smiles' | 'molblock' } | null = null;
    for (const s of samples) {
      const k = key(s.column);
      const at = STRUCTURE_NAMES.indexOf(k);
      const score = at !== -1 ? 100 - at : tokensOf(s.column).includes('smiles') ? 50 : 0;
      if (score === 0) continue;
      const mol = frac(s, looksLikeMolblock);
      const smi = frac(s, looksLikeSmiles);
      const type: 'smiles' | 'molblock' | null =
        s.values.length === 0 ? (/mol(block|file)|ctab/.test(k) ? 'molblock' : 'smiles') : mol >= 0.5 ? 'molblock' : smi >= 0.5 ? 'smiles' : null;
      if (type && (!best || score > best.score)) best = { s, score, type };
    }
    if (!best) {
      // By content: the column whose values most look like SMILES (or molblocks).
      let bestFrac = 0;
      for (const s of samples) {
        if (isIgnored(s.column)) continue;
        const mol = frac(s, looksLikeMolblock);
        const smi = frac(s, looksLikeSmiles);
        const f = Math.max(mol, smi);
        if (f >= 0.6 && f > bestFrac) {
          bestFrac = f;
          best = { s, score: 0, type: mol >= smi ? 'molblock' : 'smiles' };
        }
      }
    }
    if (best) structure = { column: best.s.column, type: best.type };
  }
  if (!structure) return null;
  const structureColumn = structure.column;
  const candidates = samples.filter((s) => s.column !== structureColumn && s.column !== SDF_MOLBLOCK_COLUMN);

  // ── Identifiers (by name; a header with a unit is a measurement, not an id)
  const identifiers: ImportMapping['identifiers'] = [];
  const labels = new Set<string>();
  const idColumns = new Set<string>();
  for (const s of candidates) {
    if (isIgnored(s.column) || s.column === SDF_TITLE_COLUMN) continue;
    const tokens = tokensOf(s.column);
    if (!tokens.some((t) => ID_TOKENS.has(t))) continue;
    if (parseHeaderUnit(s.column).unit) continue;
    let label = toIdentifierLabel(s.column);
    if (!label) continue;
    if (labels.has(label)) {
      let k = 2;
      while (labels.has(`${label}_${k}`)) k++;
      label = `${label}_${k}`;
    }
    labels.add(label);
    idColumns.add(s.column);
    identifiers.push({ column: s.column, label });
  }

  // ── Name: a name-like column, else an ID-like column, else the SDF title
  const nonEmpty = (s: ColumnSample) => sampleRows.length === 0 || s.values.length > 0;
  let nameColumn: string | null = null;
  const byList = (list: string[]) => {
    let best: { column: string; rank: number } | null = null;
    for (const s of candidates) {
      if (s.column === SDF_TITLE_COLUMN || !nonEmpty(s)) continue;
      const rank = list.indexOf(key(s.column));
      if (rank !== -1 && (!best || rank < best.rank)) best = { column: s.column, rank };
    }
    return best?.column ?? null;
  };
  nameColumn = byList(NAME_NAMES) ?? byList(ID_AS_NAME);
  if (!nameColumn) {
    const compoundId = identifiers.find((id) => /(^|_)(compound|cmpd|molecule|mol|sample|sponsor|corporate)(_|$)/.test(id.label));
    nameColumn = compoundId?.column ?? null;
  }
  if (!nameColumn) {
    const title = candidates.find((s) => s.column === SDF_TITLE_COLUMN);
    if (title && title.values.length > 0) nameColumn = SDF_TITLE_COLUMN;
  }

  // ── Properties: the remaining columns of numbers
  const properties: ImportMapping['properties'] = [];
  const propertyNames = new Set<string>();
  for (const s of candidates) {
    if (s.column === nameColumn || idColumns.has(s.column) || s.column === SDF_TITLE_COLUMN || isIgnored(s.column)) continue;
    if (s.values.length === 0) continue;
    const parsed = s.values.map((v) => parsePropertyValue(v, { decimalComma })).filter((v) => v !== null);
    if (parsed.length === 0 || parsed.filter((v) => v.num !== null).length / parsed.length < 0.6) continue;
    const { name: headerName, unit } = parseHeaderUnit(s.column);
    let name = (headerName || s.column).slice(0, 100);
    if (propertyNames.has(name.toLowerCase())) {
      let k = 2;
      while (propertyNames.has(`${name}_${k}`.toLowerCase())) k++;
      name = `${name}_${k}`;
    }
    propertyNames.add(name.toLowerCase());
    properties.push({ column: s.column, name, unit: unit ? unit.slice(0, 32) : null });
  }

  // ── Stay within the mapped-column limit: drop properties first, then identifiers.
  let room = MAX_MAPPED_COLUMNS - 1 - (nameColumn ? 1 : 0);
  const keptIds = identifiers.slice(0, room);
  room -= keptIds.length;
  return {
    structure,
    name: nameColumn ? { column: nameColumn } : null,
    identifiers: keptIds,
    properties: properties.slice(0, Math.max(0, room))
  };
}
