/** Column definitions for the registry table, built from GET /molecules/fields. */
import { DESCRIPTOR_LABELS, DESCRIPTOR_UNITS, fmtDate, fmtDescriptor, fmtProperty } from './format';
import type { Fields, MoleculeRow } from './types';

export type ColumnKind = 'column' | 'prop' | 'id';
export type ColumnDef = {
  key: string;
  kind: ColumnKind;
  label: string;
  unit: string | null;
  type: string;
  numeric: boolean;
  sortable: boolean;
  count?: number;
};

/** Keys the table always shows in its own cells (not offered in the chooser). */
const FIXED = new Set(['registry_number', 'name', 'canonical_smiles', 'smiles', 'inchikey', 'inchi', 'formula']);
const isNumericType = (t: string) => ['number', 'integer', 'float', 'numeric', 'int'].includes(t);

export function columnDefs(fields: Fields): ColumnDef[] {
  const out: ColumnDef[] = [];
  for (const c of fields.columns ?? []) {
    if (FIXED.has(c.key)) continue;
    out.push({
      key: c.key,
      kind: 'column',
      label: DESCRIPTOR_LABELS[c.key] ?? c.label ?? c.key,
      unit: DESCRIPTOR_UNITS[c.key] ?? null,
      type: c.type,
      numeric: isNumericType(c.type),
      sortable: true
    });
  }
  for (const p of fields.properties ?? []) {
    out.push({ key: `prop:${p.name}`, kind: 'prop', label: p.name, unit: p.unit ?? null, type: 'property', numeric: true, sortable: true, count: p.count });
  }
  for (const i of fields.identifier_labels ?? []) {
    out.push({ key: `id:${i.label}`, kind: 'id', label: i.label, unit: null, type: 'identifier', numeric: false, sortable: false, count: i.count });
  }
  return out;
}

/** A column the URL names but the organisation has no data for yet (e.g. a shared link). */
export function unknownColumn(key: string): ColumnDef {
  if (key.startsWith('prop:')) return { key, kind: 'prop', label: key.slice(5), unit: null, type: 'property', numeric: true, sortable: true };
  if (key.startsWith('id:')) return { key, kind: 'id', label: key.slice(3), unit: null, type: 'identifier', numeric: false, sortable: false };
  return { key, kind: 'column', label: DESCRIPTOR_LABELS[key] ?? key, unit: DESCRIPTOR_UNITS[key] ?? null, type: 'number', numeric: true, sortable: true };
}

/** Operators that make sense for a field. */
export function opsFor(def: ColumnDef | undefined): string[] {
  if (!def) return ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'contains'];
  if (def.kind === 'id') return ['eq', 'ne', 'contains'];
  if (def.kind === 'prop') return ['lt', 'lte', 'gt', 'gte', 'eq', 'ne', 'contains'];
  if (def.type === 'date' || def.type === 'datetime' || def.type === 'timestamp') return ['gte', 'lte', 'gt', 'lt', 'eq'];
  if (def.numeric) return ['gte', 'lte', 'gt', 'lt', 'eq', 'ne'];
  return ['contains', 'eq', 'ne'];
}

export type Cell = { text: string; title?: string; unit?: string | null; pending?: boolean };

export function cellFor(row: MoleculeRow, def: ColumnDef): Cell {
  if (def.kind === 'prop') {
    const p = row.properties?.[def.key.slice(5)];
    if (!p) return { text: '—' };
    // Show the unit in the cell only when it differs from the column's.
    return { text: fmtProperty(p), unit: p.unit && p.unit !== def.unit ? p.unit : null, title: p.value_text ?? undefined };
  }
  if (def.kind === 'id') {
    const label = def.key.slice(3);
    const values = (row.identifiers ?? []).filter((i) => i.label === label).map((i) => i.value);
    return { text: values.length ? values.join(', ') : '—' };
  }
  const v = (row as unknown as Record<string, unknown>)[def.key];
  if (def.type === 'date' || def.type === 'datetime' || def.type === 'timestamp' || def.key.endsWith('_at')) return { text: fmtDate(v as string | null) };
  if (typeof v === 'number') return { text: fmtDescriptor(def.key, v) };
  if (v == null) return { text: row.descriptors_pending ? '…' : '—', pending: row.descriptors_pending, title: row.descriptors_pending ? 'Being computed' : undefined };
  return { text: String(v) };
}
