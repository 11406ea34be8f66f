import { switchOrganization } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { switchOrganizationRequest } from '$lib/server/api/schemas';

export const PUT = endpoint(async ({ locals, request }) => {
  const { organization_id } = await readJson(request, switchOrganizationRequest);
  return ok({ organization: await switchOrganization(getDb(), locals.actor, organization_id) });
});
