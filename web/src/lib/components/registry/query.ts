/**
 * The registry table's state lives in the URL query so back/forward, reloads
 * and shared links reproduce a view:
 *   page, page_size, sort (`-average_mw`), q, filter (repeated `field:op:value`),
 *   cols (comma-separated column keys: descriptors, `prop:<name>`, `id:<label>`),
 *   import_id.
 */

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_COLS = ['average_mw', 'clogp', 'tpsa', 'hbd', 'hba'];

export type RegistryQuery = {
  page: number;
  page_size: number;
  sort: string;
  q: string;
  filters: string[];
  /** null = the default columns. */
  cols: string[] | null;
  import_id: string;
};

export const OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'contains'] as const;
export type Op = (typeof OPS)[number];
export const OP_LABEL: Record<Op, string> = { eq: '=', ne: '≠', lt: '<', lte: '≤', gt: '>', gte: '≥', contains: 'contains' };
export const OP_WORDS: Record<Op, string> = {
  eq: 'equals',
  ne: 'does not equal',
  lt: 'less than',
  lte: 'at most',
  gt: 'greater than',
  gte: 'at least',
  contains: 'contains'
};

function int(v: string | null, fallback: number, min: number, max: number) {
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

export function parseCols(values: string[]): string[] | null {
  if (values.length === 0) return null;
  const out: string[] = [];
  for (const v of values) for (const k of v.split(',')) if (k.trim() && !out.includes(k.trim())) out.push(k.trim());
  return out;
}

export function parseQuery(url: URL): RegistryQuery {
  const sp = url.searchParams;
  return {
    page: int(sp.get('page'), 1, 1, 1_000_000),
    page_size: int(sp.get('page_size'), DEFAULT_PAGE_SIZE, 1, 500),
    sort: sp.get('sort')?.trim() ?? '',
    q: sp.get('q')?.trim() ?? '',
    filters: sp.getAll('filter').filter((f) => f.trim() !== ''),
    cols: parseCols(sp.getAll('cols')),
    import_id: sp.get('import_id')?.trim() ?? ''
  };
}

/** Canonical query string (defaults omitted) with `patch` applied. */
export function toSearch(query: RegistryQuery, patch: Partial<RegistryQuery> = {}): string {
  const s = { ...query, ...patch };
  const sp = new URLSearchParams();
  if (s.q) sp.set('q', s.q);
  for (const f of s.filters) sp.append('filter', f);
  if (s.import_id) sp.set('import_id', s.import_id);
  if (s.sort) sp.set('sort', s.sort);
  if (s.cols && s.cols.join(',') !== DEFAULT_COLS.join(',')) sp.set('cols', s.cols.join(','));
  if (s.page_size !== DEFAULT_PAGE_SIZE) sp.set('page_size', String(s.page_size));
  if (s.page > 1) sp.set('page', String(s.page));
  const str = sp.toString();
  return str ? `?${str}` : '';
}

export const registryHref = (query: RegistryQuery, patch: Partial<RegistryQuery> = {}) => `/registry${toSearch(query, patch)}`;

/** The subset of the query the API filters on (shared by the list and the export). */
export function filterParams(query: RegistryQuery): URLSearchParams {
  const sp = new URLSearchParams();
  if (query.q) sp.set('q', query.q);
  for (const f of query.filters) sp.append('filter', f);
  if (query.import_id) sp.set('import_id', query.import_id);
  return sp;
}

export function listParams(query: RegistryQuery): URLSearchParams {
  const sp = filterParams(query);
  sp.set('page', String(query.page));
  sp.set('page_size', String(query.page_size));
  if (query.sort) sp.set('sort', query.sort);
  return sp;
}

export type ParsedFilter = { field: string; op: string; value: string };

/** `average_mw:gte:200`, `prop:IC50:lt:100`, `id:sponsor_id:eq:SP-1` (the value may contain ':'). */
export function parseFilter(f: string): ParsedFilter | null {
  const parts = f.split(':');
  const prefixed = parts[0] === 'prop' || parts[0] === 'id';
  const n = prefixed ? 2 : 1;
  if (parts.length < n + 2) return null;
  return { field: parts.slice(0, n).join(':'), op: parts[n], value: parts.slice(n + 1).join(':') };
}

export const sortKey = (sort: string) => (sort.startsWith('-') ? sort.slice(1) : sort);
export const sortDesc = (sort: string) => sort.startsWith('-');

/** Columns the API can sort by (identifier columns cannot be sorted). */
export const isSortable = (key: string) => !key.startsWith('id:');

/** The API's default order: newest registry number first. */
export const DEFAULT_SORT = '-registry_number';
export const effectiveSort = (sort: string) => sort || DEFAULT_SORT;

/** Clicking a header: ascending first, then descending; the default order is written as ''. */
export function nextSort(current: string, key: string): string {
  const eff = effectiveSort(current);
  const next = sortKey(eff) === key && !sortDesc(eff) ? `-${key}` : key;
  return next === DEFAULT_SORT ? '' : next;
}
