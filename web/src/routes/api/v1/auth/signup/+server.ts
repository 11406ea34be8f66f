import { signUp } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { signupRequest } from '$lib/server/api/schemas';
import { clientInfo } from '$lib/server/client-info';

export const POST = endpoint(async (event) => {
  const input = await readJson(event.request, signupRequest);
  const { user, organization, session } = await signUp(getDb(), input, clientInfo(event));
  return ok({ user, organization, token: session.token, expires_at: session.expiresAt }, { status: 201 });
});
