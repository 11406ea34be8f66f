import { libraryPeople } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

/** Everyone who can see the library: who can be @mentioned on its board. */
export const GET = endpoint(async ({ locals, params }) => ok(await libraryPeople(getDb(), locals.actor, params.id ?? '')));
