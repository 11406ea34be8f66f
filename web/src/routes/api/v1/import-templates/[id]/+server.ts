import { deleteTemplate } from '$db/access/imports';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

export const DELETE = endpoint(async ({ locals, params }) => {
  await deleteTemplate(getDb(), locals.actor, params.id ?? '');
  return ok({ id: params.id, deleted: true });
});
