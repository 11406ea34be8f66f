/** Number, date and size formatting shared by the registry pages. */
import { byDescriptorKey, DESCRIPTORS } from '$chem/descriptors';
import type { PropertyValue } from './types';

/** Decimals per descriptor (chem/descriptors.ts): MW 2, exact mass 4, cLogP 2, TPSA 1, Fsp3 2, counts 0. */
const DECIMALS: Record<string, number> = byDescriptorKey((d) => d.decimals);

/** Short, conventional labels (the API's /molecules/fields labels win when present). */
export const DESCRIPTOR_LABELS: Record<string, string> = {
  ...byDescriptorKey((d) => d.short),
  registry_number: 'Registry no.',
  name: 'Name',
  created_at: 'Registered'
};

/** Units shown beside descriptor values in the molecule page. */
export const DESCRIPTOR_UNITS: Record<string, string> = Object.fromEntries(DESCRIPTORS.flatMap((d) => (d.unit ? [[d.key, d.unit]] : [])));

export const DESCRIPTOR_HELP: Record<string, string> = byDescriptorKey((d) => d.help);

const intFmt = new Intl.NumberFormat('en-US');
export const fmtInt = (n: number | null | undefined) => (n == null ? '—' : intFmt.format(n));

export function fmtDescriptor(key: string, v: number | null | undefined): string {
  if (v == null || Number.isNaN(v)) return '—';
  const d = DECIMALS[key];
  if (d === undefined) return fmtValue(v);
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: false });
}

/** A measured value: up to 4 significant decimals, scientific notation when very small or large. */
export function fmtValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2).replace('e+', 'e');
  return String(Number(v.toPrecision(a >= 1000 ? 7 : 4)));
}

/** A property as uploaded: the number when it parsed, otherwise the text given (e.g. "<0.1", "inactive"). */
export function fmtProperty(p: Pick<PropertyValue, 'value' | 'value_text'> | null | undefined): string {
  if (!p) return '—';
  if (p.value != null) return fmtValue(p.value);
  return p.value_text ?? '—';
}

export const fmtDate = (d: string | Date | null | undefined) =>
  d ? new Date(d).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' }) : '—';

export const fmtDateTime = (d: string | Date | null | undefined) =>
  d
    ? new Date(d).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : '—';

export function fmtBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms == null || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const plural = (n: number, one: string, many = one + 's') => `${fmtInt(n)} ${n === 1 ? one : many}`;

/** An estimated count as shown: two significant figures (12,345 → "12,000"), since the rest is noise. */
export const fmtAbout = (n: number) => fmtInt(Number(n.toPrecision(2)));

/**
 * What a pager shows: "No molecules", "1 molecule", "24 molecules" when everything fits on the
 * page, "51 of 51 molecules" for a lone last row, "1–50 of 1,234 molecules" otherwise, and
 * "1–50 of about 12,000 molecules" when the total is an estimate (the API's `total_is_estimate`;
 * `last` may then pass it).
 */
export function fmtRange(first: number, last: number, total: number, one: string, many = one + 's', estimate = false): string {
  if (total === 0) return `No ${many}`;
  // Past the end of an estimated total (the estimate was high).
  if (last < first) return `No ${many} on this page`;
  const shown = first === last ? fmtInt(first) : `${fmtInt(first)}–${fmtInt(last)}`;
  if (estimate) return `${shown} of about ${fmtAbout(Math.max(total, last))} ${many}`;
  if (first <= 1 && last >= total) return plural(total, one, many);
  return `${shown} of ${fmtInt(total)} ${total === 1 ? one : many}`;
}
