import { listImportDuplicates } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { parsePage } from '$lib/server/api/query';

/** Rows that matched an already-registered molecule, with the registry number they matched, in row order. */
export const GET = endpoint(async ({ locals, params, url }) => {
  const page = parsePage(url, { pageSize: 50, max: 500 });
  const { data, total } = await listImportDuplicates(getDb(), locals.actor, params.id ?? '', page);
  return ok(data, { meta: { page: page.page, page_size: page.pageSize, total } });
});
