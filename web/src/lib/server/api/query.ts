/** Query-string parsing shared by list endpoints; bad values are 400 VALIDATION_ERROR naming the parameter. */
import { AppError } from '$common/errors';
import { parseFilter, type MoleculeQuery } from '$db/access/molecules';

export function parsePage(url: URL, defaults: { pageSize: number; max: number } = { pageSize: 50, max: 200 }) {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new AppError('VALIDATION_ERROR', `Invalid ${name}`, [{ field: name, message: `must be a whole number from ${min} to ${max}` }]);
    }
    return n;
  };
  return { page: int('page', 1, 1, 1_000_000), pageSize: int('page_size', defaults.pageSize, 1, defaults.max) };
}

export function moleculeQueryFromUrl(url: URL): MoleculeQuery {
  const ids = url.searchParams.get('ids');
  return {
    q: url.searchParams.get('q'),
    sort: url.searchParams.get('sort'),
    importId: url.searchParams.get('import_id') || null,
    ids: ids ? ids.split(',').map((s) => s.trim()).filter(Boolean) : null,
    filters: url.searchParams.getAll('filter').filter(Boolean).map(parseFilter)
  };
}
