import { getLibrary, updateLibrary } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { updateLibraryRequest } from '$lib/server/api/library-schemas';
import { clientInfo } from '$lib/server/client-info';
import { presentLibraryDetail } from '$lib/server/api/presenters/libraries';

export const GET = endpoint(async ({ locals, params }) => ok(presentLibraryDetail(await getLibrary(getDb(), locals.actor, params.id ?? ''))));

export const PATCH = endpoint(async (event) => {
  const input = await readJson(event.request, updateLibraryRequest);
  const library = await updateLibrary(
    getDb(),
    event.locals.actor,
    event.params.id ?? '',
    { name: input.name, description: input.description, archived: input.archived, memberAccess: input.member_access },
    clientInfo(event)
  );
  return ok(presentLibraryDetail(library));
});
