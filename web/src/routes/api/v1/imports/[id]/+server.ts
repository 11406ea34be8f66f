import { getImport } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { presentImport } from '$lib/server/api/presenters/imports';

export const GET = endpoint(async ({ locals, params }) => ok(presentImport(await getImport(getDb(), locals.actor, params.id ?? ''))));
