/**
 * The server half of AddToLibraryMenu: which libraries a page offers, and the
 * `addToLibrary` form action the registry and import pages share. Both go
 * through the REST API (POST /libraries/:id/molecules), so the cards are added
 * through the live document like every other addition.
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { api, ApiError, postJson, toHttpError } from '$lib/api/client';
import type { LibrarySummary } from '$lib/board/types';

/** Libraries of the active organisation the person can add to (molecules come from that organisation's registry). */
export async function librariesToAddTo(fetch: typeof globalThis.fetch, organizationId: string | undefined) {
  if (!organizationId) return [];
  const res = await api<LibrarySummary[]>(fetch, '/api/v1/libraries').catch(() => null);
  return (res?.data ?? []).filter((l) => l.access === 'edit' && l.organization.id === organizationId && !l.archived_at).map((l) => ({ id: l.id, name: l.name }));
}

const str = (v: FormDataEntryValue | null) => (typeof v === 'string' ? v.trim() : '');

export async function addToLibraryAction({ request, fetch }: Pick<RequestEvent, 'request' | 'fetch'>) {
  const fd = await request.formData();
  const libraryId = str(fd.get('library_id'));
  const scope = str(fd.get('scope'));
  if (!libraryId) return fail(400, { addToLibraryError: 'Choose a library first' });
  let body: Record<string, unknown>;
  if (scope === 'selected') {
    const ids = str(fd.get('molecule_ids')).split(',').map((s) => s.trim()).filter(Boolean);
    if (!ids.length) return fail(400, { addToLibraryError: 'Select at least one molecule' });
    body = { molecule_ids: ids };
  } else if (scope === 'matching') {
    const q = str(fd.get('q'));
    const filter = fd.getAll('filter').map((f) => String(f)).filter(Boolean);
    const importId = str(fd.get('query_import_id'));
    body = { query: { ...(q ? { q } : {}), ...(filter.length ? { filter } : {}), ...(importId ? { import_id: importId } : {}) } };
  } else if (scope === 'import') {
    body = { import_id: str(fd.get('import_id')) };
  } else {
    return fail(400, { addToLibraryError: 'Choose what to add' });
  }
  try {
    const [{ data: lib }, { data: res }] = await Promise.all([
      api<LibrarySummary>(fetch, `/api/v1/libraries/${encodeURIComponent(libraryId)}`),
      postJson<{ added: number; already_present: number }>(fetch, `/api/v1/libraries/${encodeURIComponent(libraryId)}/molecules`, body)
    ]);
    return { addedToLibrary: { library: { id: lib.id, name: lib.name }, added: res.added, already_present: res.already_present } };
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) return fail(err.status, { addToLibraryError: err.details[0]?.message ? `${err.message} (${err.details[0].message})` : err.message });
    throw toHttpError(err);
  }
}
