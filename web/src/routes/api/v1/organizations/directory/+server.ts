import { organizationDirectory } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

/** Other organisations by name (id, name, kind), to share a library with a partner such as a CRO. */
export const GET = endpoint(async ({ locals, url }) => ok(await organizationDirectory(getDb(), locals.actor, url.searchParams.get('q'))));
