import { listBoardHistory } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok, parseParam } from '$lib/server/api/respond';
import { z } from 'zod';
import { presentHistoryEntry } from '$lib/server/api/presenters/libraries';

/** Board changes, newest first, in words; page with `before=<id of the last one you have>`. */
export const GET = endpoint(async ({ locals, params, url }) => {
  const before = url.searchParams.get('before');
  const limit = url.searchParams.get('limit');
  const rows = await listBoardHistory(getDb(), locals.actor, params.id ?? '', {
    before: before ? parseParam(z.coerce.number().int().positive(), before, 'before') : null,
    limit: limit ? parseParam(z.coerce.number().int().min(1).max(200), limit, 'limit') : 50
  });
  return ok(rows.map(presentHistoryEntry));
});
