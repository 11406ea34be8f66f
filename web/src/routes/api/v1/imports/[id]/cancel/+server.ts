import { SYSTEM_USER_ID, ingestJobId } from '$common/queues';
import { getImport, requestCancel } from '$db/access/imports';
import { getDb, getQueues } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { clientInfo } from '$lib/server/client-info';
import { presentImport } from '$lib/server/api/presenters/imports';

/**
 * With a worker on it, the import stops after the chunk it is writing; with none
 * (its worker died, or it waits for its next slice) it is cancelled at once.
 * Committed rows stay (revert removes them) and still get their descriptors:
 * the job queued here finishes that pass (the workers' resume sweep would too).
 */
export const POST = endpoint(async (event) => {
  const row = await requestCancel(getDb(), event.locals.actor, event.params.id ?? '', clientInfo(event));
  if (row.status === 'cancelled') {
    await getQueues()
      .enqueue('ingest', 'import', { owner: { userId: row.createdBy ?? SYSTEM_USER_ID, organizationId: row.organizationId }, importId: row.id }, { jobId: ingestJobId(row) })
      .catch(() => {});
  }
  return ok(presentImport(await getImport(getDb(), event.locals.actor, event.params.id ?? '')));
});
