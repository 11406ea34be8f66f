import { fail, redirect } from '@sveltejs/kit';
import { acceptInvitation, findOpenInvitation, signUpWithInvitation } from '$db/access/accounts';
import { AppError } from '$common/errors';
import { getDb } from '$lib/server/context';
import { clientInfo } from '$lib/server/client-info';
import { failFromError, formValues, zodFieldErrors } from '$lib/server/forms';
import { signupRequest } from '$lib/server/api/schemas';
import { setSessionCookie } from '$lib/server/session-cookie';
import { notifyMemberJoined } from '$lib/server/notify';

export const load = async ({ params, locals }) => {
  try {
    const invitation = await findOpenInvitation(getDb(), params.token);
    return { invitation, problem: null, signedInAs: locals.actor?.user ?? null };
  } catch (err) {
    if (err instanceof AppError) return { invitation: null, problem: err.message, signedInAs: locals.actor?.user ?? null };
    throw err;
  }
};

const newAccount = signupRequest.pick({ email: true, password: true, name: true });

export const actions = {
  /** A signed-in user joins. */
  accept: async (event) => {
    try {
      const joined = await acceptInvitation(getDb(), event.locals.actor, event.params.token, clientInfo(event));
      await notifyMemberJoined({ organization: joined.organization, role: joined.role, joiner: event.locals.actor!.user });
    } catch (err) {
      return failFromError(err, {});
    }
    redirect(303, '/');
  },
  /** Someone new creates an account and joins in one step. */
  register: async (event) => {
    const data = await event.request.formData();
    const values = formValues(data, 'password');
    const parsed = newAccount.safeParse({ email: data.get('email'), password: data.get('password'), name: data.get('name') });
    if (!parsed.success) return fail(400, { values, errors: zodFieldErrors(parsed.error), message: 'Please correct the highlighted fields' });
    let session;
    try {
      const joined = await signUpWithInvitation(getDb(), parsed.data, event.params.token, clientInfo(event));
      session = joined.session;
      await notifyMemberJoined({ organization: joined.organization, role: joined.role, joiner: joined.user });
    } catch (err) {
      return failFromError(err, values);
    }
    setSessionCookie(event.cookies, session.token, session.expiresAt);
    redirect(303, '/');
  }
};
