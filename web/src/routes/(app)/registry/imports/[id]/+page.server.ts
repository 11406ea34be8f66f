import { fail } from '@sveltejs/kit';
import { apiOrError, ApiError, postJson, toHttpError } from '$lib/components/registry/api';
import { ACTIVE_STATUSES, type ImportJob, type ImportRowError, type Meta } from '$lib/components/registry/types';
import { addToLibraryAction, librariesToAddTo } from '$lib/server/add-to-library';
import type { ImportDuplicate } from '$lib/server/api/registry-schemas';

const ERRORS_PAGE_SIZE = 50;
const DUPLICATES_PAGE_SIZE = 50;

const pageParam = (url: URL, name: string) => {
  const n = Number(url.searchParams.get(name));
  return Number.isInteger(n) && n > 0 ? n : 1;
};

export const load = async ({ fetch, params, url, depends, locals }) => {
  depends('app:import');
  const id = encodeURIComponent(params.id);
  const { data: job } = await apiOrError<ImportJob>(fetch, `/api/v1/imports/${id}`);

  // Rejected rows are listed once the import has stopped (the table would churn while it runs).
  let errors: { rows: ImportRowError[]; meta: Meta } | null = null;
  if (!ACTIVE_STATUSES.includes(job.status) && job.invalid > 0) {
    const n = Number(url.searchParams.get('errors_page'));
    const page = Number.isInteger(n) && n > 0 ? n : 1;
    const res = await apiOrError<ImportRowError[]>(fetch, `/api/v1/imports/${id}/errors?page=${page}&page_size=${ERRORS_PAGE_SIZE}`);
    errors = { rows: res.data, meta: res.meta ?? { page, page_size: ERRORS_PAGE_SIZE, total: res.data.length } };
  }
  // Which rows matched which registry numbers, likewise once it has stopped.
  let duplicates: { rows: ImportDuplicate[]; meta: Meta } | null = null;
  if (!ACTIVE_STATUSES.includes(job.status) && job.status !== 'reverted' && job.duplicates > 0) {
    const page = pageParam(url, 'duplicates_page');
    const res = await apiOrError<ImportDuplicate[]>(fetch, `/api/v1/imports/${id}/duplicates?page=${page}&page_size=${DUPLICATES_PAGE_SIZE}`);
    duplicates = { rows: res.data, meta: res.meta ?? { page, page_size: DUPLICATES_PAGE_SIZE, total: res.data.length } };
  }
  // A finished import's molecules can go onto a library (the page reloads this when the import ends).
  const canAddToLibrary = !!locals.actor?.role && locals.actor.role !== 'viewer' && job.status === 'completed' && job.registered + job.duplicates > 0;
  const libraries = canAddToLibrary ? await librariesToAddTo(fetch, locals.actor?.organization?.id) : [];
  return { job, errors, duplicates, libraries, canAddToLibrary };
};

async function call(fetch: typeof globalThis.fetch, path: string) {
  try {
    await postJson<ImportJob>(fetch, path);
    return null;
  } catch (err) {
    if (err instanceof ApiError && err.status < 500 && err.status !== 401) return fail(err.status, { message: err.message, action: path.split('/').pop() });
    throw toHttpError(err);
  }
}

export const actions = {
  addToLibrary: addToLibraryAction,
  cancel: async ({ fetch, params }) => (await call(fetch, `/api/v1/imports/${encodeURIComponent(params.id)}/cancel`)) ?? { cancelled: true },
  revert: async ({ fetch, params, request }) => {
    const fd = await request.formData();
    // Without JavaScript the confirmation is a second step on the page.
    if (fd.get('confirm') !== 'yes') return { askRevert: true };
    return (await call(fetch, `/api/v1/imports/${encodeURIComponent(params.id)}/revert`)) ?? { reverted: true };
  }
};

