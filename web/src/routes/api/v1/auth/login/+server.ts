import { logIn } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { loginRequest } from '$lib/server/api/schemas';
import { clientInfo, clientIp } from '$lib/server/client-info';
import { throttleLogin } from '$lib/server/rate-limit';

export const POST = endpoint(async (event) => {
  const input = await readJson(event.request, loginRequest);
  const { user, session } = await throttleLogin(clientIp(event), input.email, () =>
    logIn(getDb(), input.email, input.password, clientInfo(event))
  );
  return ok({ token: session.token, expires_at: session.expiresAt, user });
});
