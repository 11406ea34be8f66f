import { getImport, revertImport } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { clientInfo } from '$lib/server/client-info';
import { presentImport } from '$lib/server/api/presenters/imports';

export const POST = endpoint(async (event) => {
  const { removed } = await revertImport(getDb(), event.locals.actor, event.params.id ?? '', clientInfo(event));
  return ok({ ...presentImport(await getImport(getDb(), event.locals.actor, event.params.id ?? '')), removed });
});
