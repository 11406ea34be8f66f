/**
 * `organization:<uuid>`: one organisation-wide shared document (team notes).
 * Members edit by role; no projection, no history.
 */
import { and, eq } from 'drizzle-orm';
import type { Actor } from '../../../db/auth';
import type { DbOrTx } from '../../../db/client';
import { memberships, type MembershipRole } from '../../../db/schema';
import { UUID_PATTERN, type Access, type DocumentKind } from '../../core/kind';

/** Owners, admins and scientists edit; viewers read. */
export function accessForRole(role: MembershipRole | null | undefined): Access | null {
  switch (role) {
    case 'owner':
    case 'admin':
    case 'scientist':
      return 'edit';
    case 'viewer':
      return 'read';
    default:
      return null;
  }
}

/**
 * Access of `actor` to anything owned by `organizationId`, from the membership
 * row (not `actor.role`, which is the role in the session's *active*
 * organisation). An API token acts only in the organisation it is bound to.
 */
export async function organizationAccess(db: DbOrTx, actor: Actor, organizationId: string): Promise<Access | null> {
  if (actor.via === 'api_token' && actor.organization?.id !== organizationId) return null;
  const [m] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.userId, actor.user.id), eq(memberships.organizationId, organizationId)));
  return accessForRole(m?.role);
}

export const organizationDocument: DocumentKind = {
  kind: 'organization',
  noun: 'organisation',
  pattern: new RegExp(`^organization:(${UUID_PATTERN})$`),
  authorize: (db, actor, id) => organizationAccess(db, actor, id),
  organizationId: async (_db, id) => id
};
