import { fail, redirect } from '@sveltejs/kit';
import { removeMember } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { clientInfo } from '$lib/server/client-info';
import { failFromError } from '$lib/server/forms';

export const actions = {
  leave: async (event) => {
    const data = await event.request.formData();
    const orgId = String(data.get('organization_id') ?? '');
    if (!orgId) return fail(400, { message: 'No organisation given' });
    try {
      await removeMember(getDb(), event.locals.actor, orgId, event.locals.actor!.user.id, clientInfo(event));
    } catch (err) {
      return failFromError(err, {});
    }
    redirect(303, '/settings');
  }
};
