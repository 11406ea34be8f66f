import { redirect } from '@sveltejs/kit';
import { switchOrganization } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { safeRedirect } from '$lib/server/forms';

export const load = () => redirect(303, '/');

export const actions = {
  default: async ({ request, locals }) => {
    const data = await request.formData();
    await switchOrganization(getDb(), locals.actor, String(data.get('organization_id') ?? ''));
    // Pages show the new organisation's data; start from the home page of the app.
    redirect(303, safeRedirect(String(data.get('redirectTo') ?? '/')));
  }
};
