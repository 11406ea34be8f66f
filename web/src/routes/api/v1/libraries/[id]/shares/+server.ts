import { listShares, shareLibrary } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { shareLibraryRequest } from '$lib/server/api/library-schemas';
import { clientInfo } from '$lib/server/client-info';
import { presentShare, presentStoredShare } from '$lib/server/api/presenters/libraries';

export const GET = endpoint(async ({ locals, params }) => ok((await listShares(getDb(), locals.actor, params.id ?? '')).map(presentShare)));

export const POST = endpoint(async (event) => {
  const input = await readJson(event.request, shareLibraryRequest);
  const share = await shareLibrary(
    getDb(),
    event.locals.actor,
    event.params.id ?? '',
    { userId: input.user_id, organizationId: input.organization_id, access: input.access },
    clientInfo(event)
  );
  return ok(presentStoredShare(share), { status: 201 });
});
