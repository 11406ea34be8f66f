/**
 * The one place that decides what an Actor may do. Every access function in
 * db/access/ starts by calling one of these, and every query it runs is
 * scoped by the organisation they return: pages and API routes never scope
 * queries themselves.
 */
import { and, eq } from 'drizzle-orm';
import type { Actor } from '../auth';
import type { DbOrTx } from '../client';
import { AppError, forbidden, notFound, unauthenticated } from '../../common/errors';
import { memberships, organizations, type MembershipRole } from '../schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const roleRank: Record<MembershipRole, number> = { viewer: 0, scientist: 1, admin: 2, owner: 3 };

export const roleAtLeast = (role: MembershipRole | null | undefined, minimum: MembershipRole) =>
  role != null && roleRank[role] >= roleRank[minimum];

export type OrgActor = Actor & { organization: NonNullable<Actor['organization']>; role: MembershipRole };

export function requireActor(actor: Actor | null | undefined): Actor {
  if (!actor) throw unauthenticated();
  return actor;
}

/** The actor's active organisation with at least `minimum` role. */
export function requireRole(actor: Actor | null | undefined, minimum: MembershipRole): OrgActor {
  const a = requireActor(actor);
  if (!a.organization || !a.role) {
    throw new AppError('AUTHORIZATION_ERROR', 'You are not a member of any organisation yet');
  }
  if (!roleAtLeast(a.role, minimum)) {
    throw forbidden(`This needs the ${minimum} role or higher; you are ${a.role}`);
  }
  return a as OrgActor;
}

/**
 * The actor acting in organisation `organizationId` (given in a URL). Someone
 * who is not a member gets 404, not 403, so organisation ids cannot be probed.
 * API tokens are bound to their own organisation.
 */
export async function actorInOrganization(
  db: DbOrTx,
  actor: Actor | null | undefined,
  organizationId: string,
  minimum: MembershipRole = 'viewer'
): Promise<OrgActor> {
  const a = requireActor(actor);
  if (!UUID.test(organizationId)) throw notFound('Organisation');
  if (a.via === 'api_token' && a.organization?.id !== organizationId) throw notFound('Organisation');
  const [m] = await db
    .select({ role: memberships.role, organization: { id: organizations.id, name: organizations.name, kind: organizations.kind } })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(and(eq(memberships.userId, a.user.id), eq(memberships.organizationId, organizationId)));
  if (!m) throw notFound('Organisation');
  const scoped = { ...a, organization: m.organization, role: m.role };
  return requireRole(scoped, minimum);
}
