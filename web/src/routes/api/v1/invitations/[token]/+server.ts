import { findOpenInvitation } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

/** Public: what an invitation link offers (organisation and role), before signing in. */
export const GET = endpoint(async ({ params }) => {
  const inv = await findOpenInvitation(getDb(), params.token ?? "");
  return ok({ organization: inv.organization, role: inv.role, email: inv.email });
});
