import { allImportErrors, getImport, listImportErrors } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { parsePage } from '$lib/server/api/query';
import { csvLine, download } from '$lib/server/csv';

/** Rejected rows: JSON pages, or `?format=csv` for the whole list as a download. */
export const GET = endpoint(async ({ locals, params, url }) => {
  const id = params.id ?? '';
  if (url.searchParams.get('format') === 'csv') {
    const imp = await getImport(getDb(), locals.actor, id);
    const rows = allImportErrors(getDb(), locals.actor, id);
    async function* csv() {
      yield csvLine(['row_number', 'code', 'reason', 'raw', 'raw_truncated']);
      for await (const batch of rows) yield batch.map((e) => csvLine([e.rowNumber, e.code, e.reason, e.raw, e.rawTruncated])).join('');
    }
    return download(`${imp.import.filename.replace(/\.[^.]+$/, '')}-errors.csv`, 'text/csv; charset=utf-8', csv());
  }
  const page = parsePage(url, { pageSize: 50, max: 500 });
  const { data, total } = await listImportErrors(getDb(), locals.actor, id, page);
  return ok(data, { meta: { page: page.page, page_size: page.pageSize, total } });
});
