import { fail } from '@sveltejs/kit';
import { api, ApiError, apiOrError, postJson, toHttpError } from '$lib/api/client';
import type { ImportJob, MoleculeRow } from '$lib/components/registry/types';
import type { LibraryDetail } from '$lib/board/types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_SMILES = 500;

export const load = async ({ fetch, params, url, locals }) => {
  const { data: library } = await apiOrError<LibraryDetail>(fetch, `/api/v1/libraries/${encodeURIComponent(params.id)}`);
  const ids = [...new Set((url.searchParams.get('ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  const badIds = ids.filter((x) => !UUID.test(x)).length;
  const importId = url.searchParams.get('import_id')?.trim() || null;
  const sameOrg = locals.actor?.organization?.id === library.organization.id;
  // A few pictures of what is being added (the registry is per organisation).
  const preview =
    sameOrg && ids.length && !badIds
      ? await api<MoleculeRow[]>(fetch, `/api/v1/molecules?page_size=12&ids=${ids.slice(0, 12).join(',')}`).then((r) => r.data, () => [])
      : [];
  const importJob = importId ? await api<ImportJob>(fetch, `/api/v1/imports/${encodeURIComponent(importId)}`).then((r) => r.data, () => null) : null;
  return { library, ids: badIds ? [] : ids, badIds, importId, importJob, preview, sameOrg };
};

const str = (v: FormDataEntryValue | null) => (typeof v === 'string' ? v.trim() : '');

export const actions = {
  default: async ({ request, fetch, params }) => {
    const fd = await request.formData();
    const ids = str(fd.get('molecule_ids')).split(',').map((s) => s.trim()).filter(Boolean);
    const importId = str(fd.get('import_id'));
    const smilesText = str(fd.get('smiles'));
    const smiles = smilesText.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    const laneId = str(fd.get('lane_id'));
    const values = { smiles: smilesText, lane_id: laneId };
    if (!ids.length && !importId && !smiles.length) return fail(400, { values, errors: { smiles: 'Paste at least one SMILES, one per line' } as Record<string, string>, message: null as string | null, result: null });
    if (smiles.length > MAX_SMILES) return fail(400, { values, errors: { smiles: `At most ${MAX_SMILES} SMILES at once; import a file for more` } as Record<string, string>, message: null, result: null });
    try {
      const res = await postJson<{ added: number; already_present: number; rejected?: { smiles: string; reason: string }[] }>(
        fetch,
        `/api/v1/libraries/${encodeURIComponent(params.id)}/molecules`,
        {
          ...(ids.length ? { molecule_ids: ids } : {}),
          ...(importId ? { import_id: importId } : {}),
          ...(smiles.length ? { smiles } : {}),
          ...(laneId ? { lane_id: laneId } : {})
        }
      );
      return { values: { smiles: '', lane_id: laneId }, errors: {} as Record<string, string>, message: null, result: { added: res.data.added, already_present: res.data.already_present, rejected: res.data.rejected ?? [] } };
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) {
        const errors: Record<string, string> = {};
        for (const d of err.details) if (d.field) errors[d.field.split('.')[0]] = d.message;
        return fail(err.status, { values, errors, message: err.message, result: null });
      }
      throw toHttpError(err);
    }
  }
};
