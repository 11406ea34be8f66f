import { error, fail } from '@sveltejs/kit';
import { changeMemberRole, createInvitation, listInvitations, listMembers, removeMember, revokeInvitation } from '$db/access/accounts';
import { roleAtLeast } from '$db/access/authorize';
import { getDb } from '$lib/server/context';
import { createInvitationRequest, membershipRole } from '$lib/server/api/schemas';
import { clientInfo } from '$lib/server/client-info';
import { presentInvitation } from '$lib/server/api/presenters/accounts';
import { failFromError, formValues, zodFieldErrors } from '$lib/server/forms';

/** Admin page: owners and admins only; everyone else gets 403 (the access layer re-checks every action). */
export const load = async ({ locals }) => {
  const actor = locals.actor!;
  if (!actor.organization || !roleAtLeast(actor.role, 'admin')) {
    error(403, { message: 'Only owners and admins can manage the organisation', code: 'AUTHORIZATION_ERROR' });
  }
  const db = getDb();
  const [members, invitations] = await Promise.all([
    listMembers(db, actor, actor.organization.id),
    listInvitations(db, actor, actor.organization.id)
  ]);
  return { members, invitations: invitations.map(presentInvitation) };
};

const orgId = (locals: App.Locals) => locals.actor?.organization?.id ?? '';

export const actions = {
  invite: async (event) => {
    const data = await event.request.formData();
    const values = formValues(data);
    const parsed = createInvitationRequest.safeParse({ role: data.get('role'), email: String(data.get('email') ?? '').trim() || null });
    if (!parsed.success) return fail(400, { values, errors: zodFieldErrors(parsed.error), message: 'Please correct the highlighted fields' });
    try {
      const { token, invitation } = await createInvitation(getDb(), event.locals.actor, orgId(event.locals), parsed.data, clientInfo(event));
      return { invited: { url: new URL(`/invite/${token}`, event.url.origin).href, role: invitation.role, email: invitation.email } };
    } catch (err) {
      return failFromError(err, values);
    }
  },
  revokeInvitation: async (event) => {
    const data = await event.request.formData();
    try {
      await revokeInvitation(getDb(), event.locals.actor, orgId(event.locals), String(data.get('id') ?? ''), clientInfo(event));
    } catch (err) {
      return failFromError(err, {});
    }
  },
  changeRole: async (event) => {
    const data = await event.request.formData();
    const role = membershipRole.safeParse(data.get('role'));
    if (!role.success) return fail(400, { message: 'Choose a valid role' });
    try {
      await changeMemberRole(getDb(), event.locals.actor, orgId(event.locals), String(data.get('user_id') ?? ''), role.data, clientInfo(event));
    } catch (err) {
      return failFromError(err, {});
    }
  },
  remove: async (event) => {
    const data = await event.request.formData();
    try {
      await removeMember(getDb(), event.locals.actor, orgId(event.locals), String(data.get('user_id') ?? ''), clientInfo(event));
    } catch (err) {
      return failFromError(err, {});
    }
  }
};
