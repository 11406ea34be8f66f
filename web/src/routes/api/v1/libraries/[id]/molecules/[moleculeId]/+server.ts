import { notFound } from '$common/errors';
import { requireLibrary } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { collabChange } from '$lib/server/collab';

/** Takes the card off the board (its note and comments go with it; history keeps them). */
export const DELETE = endpoint(async ({ locals, params }) => {
  const g = await requireLibrary(getDb(), locals.actor, params.id ?? '', 'edit');
  const r = await collabChange(locals.actor, 'libraryCards', g.library.id, { remove: [params.moleculeId ?? ''] });
  if (!r.removed) throw notFound('Molecule in this library');
  return ok({ removed: r.removed });
});
