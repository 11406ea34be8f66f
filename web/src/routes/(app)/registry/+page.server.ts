import { redirect } from '@sveltejs/kit';
import { api, apiOrError, ApiError, toHttpError } from '$lib/api/client';
import { filterParams, listParams, parseQuery, registryHref, OPS } from '$lib/components/registry/query';
import type { Fields, ImportJob, Meta, MoleculeRow } from '$lib/components/registry/types';
import { addToLibraryAction, librariesToAddTo } from '$lib/server/add-to-library';

export const load = async ({ fetch, url, locals }) => {
  const query = parseQuery(url);

  // The "add filter" form submits ff/fo/fv (works without JavaScript); fold them into one
  // `filter=field:op:value` and move to the canonical URL.
  if (url.searchParams.has('ff')) {
    const field = url.searchParams.get('ff')?.trim() ?? '';
    const op = url.searchParams.get('fo')?.trim() ?? '';
    const value = url.searchParams.get('fv')?.trim() ?? '';
    const filters = field && value !== '' && (OPS as readonly string[]).includes(op) ? [...query.filters, `${field}:${op}:${value}`] : query.filters;
    redirect(303, registryHref(query, { filters: [...new Set(filters)], page: 1 }));
  }

  // The column chooser without JavaScript submits `cols` once per ticked box: keep links short.
  if (url.searchParams.getAll('cols').length > 1) redirect(303, registryHref(query));

  const listP = api<MoleculeRow[]>(fetch, `/api/v1/molecules?${listParams(query)}`).then(
    (res) => ({ rows: res.data, meta: res.meta ?? { page: query.page, page_size: query.page_size, total: res.data.length }, listError: null }),
    (err) => {
      // A bad sort or filter in a shared link is shown beside the chips (removable), not as an error page.
      if (err instanceof ApiError && err.status === 400)
        return { rows: [] as MoleculeRow[], meta: { page: query.page, page_size: query.page_size, total: 0 } as Meta, listError: err.message as string | null };
      throw toHttpError(err);
    }
  );
  const importP = query.import_id
    ? api<ImportJob>(fetch, `/api/v1/imports/${encodeURIComponent(query.import_id)}`).then((r) => r.data, () => null)
    : Promise.resolve(null);
  const canAdd = !!locals.actor?.role && locals.actor.role !== 'viewer';
  // All at once (and all awaited together, so no rejection goes unhandled).
  const [{ rows, meta, listError }, fields, importJob, libraries] = await Promise.all([
    listP,
    apiOrError<Fields>(fetch, '/api/v1/molecules/fields'),
    importP,
    canAdd ? librariesToAddTo(fetch, locals.actor?.organization?.id) : Promise.resolve([])
  ]);

  // Past the last page (e.g. after narrowing a filter): go to the last page that exists. An
  // estimated total can name a last page past the real end: never redirect to the same page.
  const lastPage = Math.max(1, Math.ceil(meta.total / query.page_size));
  if (!listError && rows.length === 0 && meta.total > 0 && query.page > lastPage) {
    redirect(303, registryHref(query, { page: lastPage }));
  }

  const filtered = Boolean(query.q || query.filters.length || query.import_id);
  return {
    query,
    rows,
    meta,
    listError,
    filtered,
    fields: fields.data,
    importJob,
    libraries,
    exportParams: filterParams(query).toString()
  };
};

export const actions = { addToLibrary: addToLibraryAction };
