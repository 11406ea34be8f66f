import { moleculeFields } from '$db/access/molecules';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

export const GET = endpoint(async ({ locals }) => ok(await moleculeFields(getDb(), locals.actor)));
