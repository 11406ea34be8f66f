import { fail, redirect } from '@sveltejs/kit';
import { logIn } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { clientInfo, clientIp } from '$lib/server/client-info';
import { failFromError, formValues, safeRedirect } from '$lib/server/forms';
import { throttleLogin } from '$lib/server/rate-limit';
import { setSessionCookie } from '$lib/server/session-cookie';

export const load = ({ locals, url }) => {
  if (locals.actor) redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
  return { redirectTo: safeRedirect(url.searchParams.get('redirectTo'), '') };
};

export const actions = {
  default: async (event) => {
    const data = await event.request.formData();
    const values = formValues(data, 'password');
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    const errors: Record<string, string> = {};
    if (!email) errors.email = 'Enter your email';
    if (!password) errors.password = 'Enter your password';
    if (Object.keys(errors).length) return fail(400, { values, errors, message: null });
    let session;
    try {
      ({ session } = await throttleLogin(clientIp(event), email, () => logIn(getDb(), email, password, clientInfo(event, 'web'))));
    } catch (err) {
      return failFromError(err, values);
    }
    setSessionCookie(event.cookies, session.token, session.expiresAt);
    redirect(303, safeRedirect(String(data.get('redirectTo') ?? '')));
  }
};
