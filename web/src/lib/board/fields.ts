/**
 * The values a board can show on cards, in the grid and on the plot axes:
 * computed descriptors (every molecule has them) and measured properties
 * (only the ones this library's molecules carry).
 */
import { DESCRIPTOR_LABELS, DESCRIPTOR_UNITS, fmtDescriptor, fmtValue } from '$lib/components/registry/format';
import { DESCRIPTOR_KEYS } from '$lib/components/registry/types';
import type { LibraryMolecule, PropValue } from './types';

/** Card and plot fields: the registry's descriptors, in the registry's order. */
export const DESCRIPTORS = DESCRIPTOR_KEYS;

export type Field = { key: string; label: string; unit: string | null; kind: 'descriptor' | 'property' };

/** Card fields shown until someone chooses others. */
export const DEFAULT_CARD_FIELDS = ['average_mw', 'clogp', 'tpsa'];
export const MAX_CARD_FIELDS = 3;

const propName = (key: string) => key.slice(5);

export function descriptorFields(): Field[] {
  return DESCRIPTORS.map((k) => ({ key: k, label: DESCRIPTOR_LABELS[k] ?? k, unit: DESCRIPTOR_UNITS[k] ?? null, kind: 'descriptor' }));
}

/** Every field the loaded molecules have: descriptors first, then properties by name. */
export function availableFields(molecules: Iterable<LibraryMolecule>): Field[] {
  const props = new Map<string, string | null>();
  for (const m of molecules) {
    for (const [name, p] of Object.entries(m.properties ?? {})) if (!props.has(name) || (!props.get(name) && p.unit)) props.set(name, p.unit ?? null);
  }
  const out = descriptorFields();
  for (const [name, unit] of [...props].sort((a, b) => a[0].localeCompare(b[0]))) out.push({ key: `prop:${name}`, label: name, unit, kind: 'property' });
  return out;
}

export function fieldFor(key: string, fields: Field[]): Field {
  return fields.find((f) => f.key === key) ?? (key.startsWith('prop:') ? { key, label: propName(key), unit: null, kind: 'property' } : { key, label: DESCRIPTOR_LABELS[key] ?? key, unit: null, kind: 'descriptor' });
}

const propNum = (p: PropValue | undefined) => p?.value ?? null;
const propText = (p: PropValue | undefined) => p?.value_text ?? null;

/** The number behind a field (null when the molecule has none), for sorting and plotting. */
export function numericValue(m: LibraryMolecule | undefined, key: string): number | null {
  if (!m) return null;
  if (key.startsWith('prop:')) {
    const v = propNum(m.properties?.[propName(key)]);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
  const v = (m as unknown as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A field as text for a card or a cell: "312.4", "<0.1", "—". */
export function displayValue(m: LibraryMolecule | undefined, key: string): string {
  if (!m) return '…';
  if (key.startsWith('prop:')) {
    const p = m.properties?.[propName(key)];
    const n = propNum(p);
    if (n != null) return fmtValue(n) + (p?.unit ? ` ${p.unit}` : '');
    return propText(p) ?? '—';
  }
  const v = numericValue(m, key);
  if (v == null) return m.descriptors_pending ? '…' : '—';
  return fmtDescriptor(key, v);
}

const STORAGE_KEY = 'crosslink:board:card-fields';

export function loadCardFields(): string[] {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const parsed = raw ? (JSON.parse(raw) as unknown) : null;
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed.slice(0, MAX_CARD_FIELDS);
  } catch {
    /* private mode or bad JSON: defaults */
  }
  return [...DEFAULT_CARD_FIELDS];
}

export function saveCardFields(keys: string[]) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(keys.slice(0, MAX_CARD_FIELDS)));
  } catch {
    /* not remembered; still applied */
  }
}
