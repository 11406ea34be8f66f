import { issueApiToken, listApiTokens } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { createTokenRequest } from '$lib/server/api/schemas';
import { presentApiToken } from '$lib/server/api/presenters/accounts';
import { clientInfo } from '$lib/server/client-info';

export const GET = endpoint(async ({ locals }) => ok((await listApiTokens(getDb(), locals.actor)).map(presentApiToken)));

/** The plain token is in this response only; we keep its hash. */
export const POST = endpoint(async (event) => {
  const input = await readJson(event.request, createTokenRequest);
  const { token, apiToken } = await issueApiToken(
    getDb(),
    event.locals.actor,
    { name: input.name, expiresInDays: input.expires_in_days },
    clientInfo(event)
  );
  return ok({ ...presentApiToken(apiToken), token }, { status: 201 });
});
