import { fail, redirect } from '@sveltejs/kit';
import { ApiError, apiOrError, postJson, toHttpError } from '$lib/api/client';
import type { LibrarySummary } from '$lib/board/types';

export const load = async ({ fetch, url, locals }) => {
  const archived = url.searchParams.get('archived') === 'true';
  const { data: libraries } = await apiOrError<LibrarySummary[]>(fetch, `/api/v1/libraries${archived ? '?archived=true' : ''}`);
  return { libraries, archived, canCreate: !!locals.actor?.role && locals.actor.role !== 'viewer' };
};

const str = (v: FormDataEntryValue | null) => (typeof v === 'string' ? v.trim() : '');

export const actions = {
  create: async ({ request, fetch }) => {
    const fd = await request.formData();
    const values = { name: str(fd.get('name')), description: str(fd.get('description')) };
    if (!values.name) return fail(400, { values, errors: { name: 'Give the library a name' } as Record<string, string>, message: null as string | null });
    let id: string;
    try {
      const res = await postJson<{ id: string }>(fetch, '/api/v1/libraries', { name: values.name, ...(values.description ? { description: values.description } : {}) });
      id = res.data.id;
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) {
        const errors: Record<string, string> = {};
        for (const d of err.details) if (d.field) errors[d.field] = d.message;
        return fail(err.status, { values, errors, message: Object.keys(errors).length ? null : err.message });
      }
      throw toHttpError(err);
    }
    redirect(303, `/libraries/${id}`);
  }
};
