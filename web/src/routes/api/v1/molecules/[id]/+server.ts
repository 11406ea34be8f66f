import { getMolecule } from '$db/access/molecules';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

export const GET = endpoint(async ({ locals, params }) => ok(await getMolecule(getDb(), locals.actor, params.id ?? '')));
