import { z } from 'zod';
import { boardVersion } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok, parseParam } from '$lib/server/api/respond';

/** The board as it was right after this change (lanes, cards, tags, notes as text, comments). */
export const GET = endpoint(async ({ locals, params }) => {
  const changeId = parseParam(z.coerce.number().int().positive(), params.changeId ?? '', 'change id');
  return ok({ change_id: changeId, board: await boardVersion(getDb(), locals.actor, params.id ?? '', changeId) });
});
