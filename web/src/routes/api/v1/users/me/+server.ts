import { getMe } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { presentMe } from '$lib/server/api/presenters/accounts';

export const GET = endpoint(async ({ locals }) => ok(presentMe(await getMe(getDb(), locals.actor))));
