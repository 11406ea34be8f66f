/**
 * Accounts, organisations, tokens and notifications as the REST API shows them:
 * db/access returns rows, these turn them into the response bodies their
 * schemas (../schemas.ts) describe. Each presenter names every field it sends,
 * so a column added to a table (a token's hash) never reaches a client by itself.
 */
import type { z } from 'zod';
import type { ApiToken, Invitation, MembershipRole, Notification } from '$db/schema';
import type { apiToken, invitation, member, meResponse, notification } from '../schemas';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export const presentApiToken = (t: ApiToken): z.output<typeof apiToken> => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  organization_id: t.organizationId,
  last_used_at: isoOrNull(t.lastUsedAt),
  expires_at: isoOrNull(t.expiresAt),
  revoked_at: isoOrNull(t.revokedAt),
  created_at: iso(t.createdAt)
});

export const presentInvitation = (i: Invitation): z.output<typeof invitation> => ({
  id: i.id,
  role: i.role,
  email: i.email,
  expires_at: iso(i.expiresAt),
  accepted_at: isoOrNull(i.acceptedAt),
  revoked_at: isoOrNull(i.revokedAt),
  created_at: iso(i.createdAt)
});

export const presentMember = (m: { user: { id: string; email: string; name: string }; role: MembershipRole; joinedAt: Date }): z.output<typeof member> => ({
  user: m.user,
  role: m.role,
  joined_at: iso(m.joinedAt)
});

export const presentMe = (me: {
  user: { id: string; email: string; name: string };
  activeOrganizationId: string | null;
  memberships: z.output<typeof meResponse>['data']['memberships'];
}): z.output<typeof meResponse>['data'] => ({
  id: me.user.id,
  email: me.user.email,
  name: me.user.name,
  active_organization_id: me.activeOrganizationId,
  memberships: me.memberships
});

/** Under the row's own (camelCase) names, as the socket.io `notification` event carries it too. */
export const presentNotification = (n: Notification): z.output<typeof notification> => ({
  id: n.id,
  userId: n.userId,
  organizationId: n.organizationId,
  kind: n.kind,
  title: n.title,
  body: n.body,
  link: n.link,
  readAt: isoOrNull(n.readAt),
  createdAt: iso(n.createdAt)
});
