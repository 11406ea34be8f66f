import { createLibrary, listLibraries } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { createLibraryRequest } from '$lib/server/api/library-schemas';
import { clientInfo } from '$lib/server/client-info';
import { presentLibrary } from '$lib/server/api/presenters/libraries';

export const GET = endpoint(async ({ locals, url }) => ok((await listLibraries(getDb(), locals.actor, { archived: url.searchParams.get('archived') === 'true' })).map(presentLibrary)));

export const POST = endpoint(async (event) => {
  const input = await readJson(event.request, createLibraryRequest);
  const library = await createLibrary(
    getDb(),
    event.locals.actor,
    { name: input.name, description: input.description, memberAccess: input.member_access },
    clientInfo(event)
  );
  return ok(presentLibrary(library), { status: 201 });
});
