import { api, ApiError, toHttpError } from '$lib/api/client';
import type { ImportTemplate } from '$lib/components/registry/types';

export const load = async ({ fetch, depends }) => {
  depends('app:import-templates');
  try {
    const { data } = await api<ImportTemplate[]>(fetch, '/api/v1/import-templates');
    return { templates: data, templatesError: null as string | null };
  } catch (err) {
    // Templates are a convenience: the wizard still works without them.
    if (err instanceof ApiError && err.status < 500 && err.status !== 401) return { templates: [] as ImportTemplate[], templatesError: err.message };
    throw toHttpError(err);
  }
};
