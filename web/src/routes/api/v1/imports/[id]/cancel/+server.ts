import { getImport, requestCancel } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { clientInfo } from '$lib/server/client-info';

/** The worker stops after the chunk it is writing; committed rows stay (revert removes them). */
export const POST = endpoint(async (event) => {
  await requestCancel(getDb(), event.locals.actor, event.params.id ?? '', clientInfo(event));
  return ok(await getImport(getDb(), event.locals.actor, event.params.id ?? ''));
});
