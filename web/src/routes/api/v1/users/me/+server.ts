import { getMe } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

export const GET = endpoint(async ({ locals }) => ok(await getMe(getDb(), locals.actor)));
