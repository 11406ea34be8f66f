import { fail, redirect } from '@sveltejs/kit';
import { signUp } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { signupRequest } from '$lib/server/api/schemas';
import { clientInfo } from '$lib/server/client-info';
import { failFromError, formValues, safeRedirect, zodFieldErrors } from '$lib/server/forms';
import { setSessionCookie } from '$lib/server/session-cookie';

export const load = ({ locals, url }) => {
  if (locals.actor) redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
  return { redirectTo: safeRedirect(url.searchParams.get('redirectTo'), '') };
};

export const actions = {
  default: async (event) => {
    const data = await event.request.formData();
    const values = formValues(data, 'password');
    const parsed = signupRequest.safeParse({
      email: data.get('email'),
      password: data.get('password'),
      name: data.get('name'),
      organization: { name: data.get('organization_name'), kind: data.get('organization_kind') }
    });
    if (!parsed.success) {
      const errors = zodFieldErrors(parsed.error);
      // Form field names differ from the API's nested names.
      if (errors['organization.name']) errors.organization_name = errors['organization.name'];
      if (errors['organization.kind']) errors.organization_kind = 'Choose sponsor or CRO';
      return fail(400, { values, errors, message: 'Please correct the highlighted fields' });
    }
    let session;
    try {
      ({ session } = await signUp(getDb(), parsed.data, clientInfo(event, 'web')));
    } catch (err) {
      return failFromError(err, values);
    }
    setSessionCookie(event.cookies, session.token, session.expiresAt);
    redirect(303, safeRedirect(String(data.get('redirectTo') ?? '')));
  }
};
