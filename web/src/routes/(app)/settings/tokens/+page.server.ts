import { fail } from '@sveltejs/kit';
import { issueApiToken, listApiTokens, revokeApiToken } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { createTokenRequest } from '$lib/server/api/schemas';
import { clientInfo } from '$lib/server/client-info';
import { presentApiToken } from '$lib/server/api/presenters/accounts';
import { failFromError, formValues, zodFieldErrors } from '$lib/server/forms';

export const load = async ({ locals }) => ({ tokens: (await listApiTokens(getDb(), locals.actor)).map(presentApiToken) });

export const actions = {
  create: async (event) => {
    const data = await event.request.formData();
    const values = formValues(data);
    const days = String(data.get('expires_in_days') ?? '');
    const parsed = createTokenRequest.safeParse({ name: data.get('name'), expires_in_days: days ? Number(days) : null });
    if (!parsed.success) return fail(400, { values, errors: zodFieldErrors(parsed.error), message: null, created: null });
    try {
      const { token, apiToken } = await issueApiToken(getDb(), event.locals.actor, { name: parsed.data.name, expiresInDays: parsed.data.expires_in_days }, clientInfo(event));
      return { created: { token, name: apiToken.name } };
    } catch (err) {
      return failFromError(err, values);
    }
  },
  revoke: async (event) => {
    const data = await event.request.formData();
    try {
      await revokeApiToken(getDb(), event.locals.actor, String(data.get('id') ?? ''), clientInfo(event));
    } catch (err) {
      return failFromError(err, {});
    }
    return { revoked: true };
  }
};
