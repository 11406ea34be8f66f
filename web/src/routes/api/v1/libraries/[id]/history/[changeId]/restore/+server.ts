import { z } from 'zod';
import { requireLibrary } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok, parseParam } from '$lib/server/api/respond';
import { collabChange } from '$lib/server/collab';

/** Brings the board back to how it was after this change, as a new attributed change (open boards update live). */
export const POST = endpoint(async ({ locals, params }) => {
  const changeId = parseParam(z.coerce.number().int().positive(), params.changeId ?? '', 'change id');
  const g = await requireLibrary(getDb(), locals.actor, params.id ?? '', 'edit');
  const r = await collabChange(locals.actor, 'libraryRestore', g.library.id, { change_id: changeId });
  return ok(r);
});
