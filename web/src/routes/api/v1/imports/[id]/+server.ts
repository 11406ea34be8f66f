import { getImport } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

export const GET = endpoint(async ({ locals, params }) => ok(await getImport(getDb(), locals.actor, params.id ?? '')));
