import { fail } from '@sveltejs/kit';
import { apiOrError, ApiError, postJson, toHttpError } from '$lib/api/client';
import { ACTIVE_STATUSES, type ImportJob, type ImportRowError, type Meta } from '$lib/components/registry/types';
import { addToLibraryAction, librariesToAddTo } from '$lib/server/add-to-library';
import type { ImportDuplicate } from '$lib/server/api/registry-schemas';

const PAGE_SIZE = 50;

/** One page of a list under the import (its rejected rows, its duplicates), at the page named by the list's own URL parameter. */
async function listPage<T>(fetch: typeof globalThis.fetch, url: URL, path: string, pageParam: string): Promise<{ rows: T[]; meta: Meta }> {
  const n = Number(url.searchParams.get(pageParam));
  const page = Number.isInteger(n) && n > 0 ? n : 1;
  const res = await apiOrError<T[]>(fetch, `${path}?page=${page}&page_size=${PAGE_SIZE}`);
  return { rows: res.data, meta: res.meta ?? { page, page_size: PAGE_SIZE, total: res.data.length } };
}

export const load = async ({ fetch, params, url, depends, locals }) => {
  depends('app:import');
  const id = encodeURIComponent(params.id);
  const { data: job } = await apiOrError<ImportJob>(fetch, `/api/v1/imports/${id}`);

  // Rejected rows, and which rows matched which registry numbers, are listed once the
  // import has stopped (the tables would churn while it runs).
  const stopped = !ACTIVE_STATUSES.includes(job.status);
  const [errors, duplicates] = await Promise.all([
    stopped && job.invalid > 0 ? listPage<ImportRowError>(fetch, url, `/api/v1/imports/${id}/errors`, 'errors_page') : null,
    stopped && job.status !== 'reverted' && job.duplicates > 0 ? listPage<ImportDuplicate>(fetch, url, `/api/v1/imports/${id}/duplicates`, 'duplicates_page') : null
  ]);
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

