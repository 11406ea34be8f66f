/**
 * Accounts, organisations, memberships, invitations and API tokens.
 * Every function that acts for someone takes the Actor and scopes by its
 * organisation through ./authorize.
 */
import { and, asc, desc, eq, gt, inArray, isNull } from 'drizzle-orm';
import { AppError, notFound } from '../../common/errors';
import { createApiToken, createSession, generateToken, hashPassword, hashToken, verifyPassword, type Actor } from '../auth';
import { recordAudit } from '../audit';
import type { Db, DbOrTx } from '../client';
import {
  apiTokens,
  invitations,
  memberships,
  organizations,
  sessions,
  users,
  type MembershipRole,
  type OrganizationKind
} from '../schema';
import { actorInOrganization, requireActor, requireRole, roleAtLeast } from './authorize';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Verified against when the email is unknown, so response time does not reveal accounts. */
let dummyHash: Promise<string> | null = null;

export type ClientInfo = { via: 'web' | 'api'; ip?: string | null; userAgent?: string | null };

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function signUp(
  db: Db,
  input: { email: string; password: string; name: string; organization: { name: string; kind: OrganizationKind } },
  client: ClientInfo
) {
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (existing) {
      throw new AppError('CONFLICT', 'An account with this email already exists', [
        { field: 'email', message: 'is already registered; sign in instead' }
      ]);
    }
    const [user] = await tx.insert(users).values({ email, name: input.name.trim(), passwordHash }).returning();
    const [organization] = await tx
      .insert(organizations)
      .values({ name: input.organization.name.trim(), kind: input.organization.kind })
      .returning();
    await tx.insert(memberships).values({ userId: user.id, organizationId: organization.id, role: 'owner' });
    await recordAudit(tx, {
      organizationId: organization.id,
      actorUserId: user.id,
      action: 'organization.created',
      entityType: 'organization',
      entityId: organization.id,
      after: { name: organization.name, kind: organization.kind, owner: email },
      client
    });
    const session = await createSession(tx, user.id, { organizationId: organization.id, userAgent: client.userAgent });
    return {
      user: { id: user.id, email: user.email, name: user.name },
      organization: { id: organization.id, name: organization.name, kind: organization.kind },
      session
    };
  });
}

/** Check credentials; throws AUTHENTICATION_ERROR without saying which part was wrong. */
export async function verifyCredentials(db: DbOrTx, emailInput: string, password: string) {
  const email = normalizeEmail(emailInput);
  const [user] = await db.select().from(users).where(eq(users.email, email));
  if (!user) {
    dummyHash ??= hashPassword('not-a-real-password');
    await verifyPassword(await dummyHash, password);
    throw new AppError('AUTHENTICATION_ERROR', 'Email or password is incorrect');
  }
  if (!(await verifyPassword(user.passwordHash, password))) {
    throw new AppError('AUTHENTICATION_ERROR', 'Email or password is incorrect');
  }
  return { id: user.id, email: user.email, name: user.name };
}

export async function logIn(db: Db, email: string, password: string, client: ClientInfo) {
  const user = await verifyCredentials(db, email, password);
  const [first] = await db
    .select({ organizationId: memberships.organizationId })
    .from(memberships)
    .where(eq(memberships.userId, user.id))
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  const session = await createSession(db, user.id, { organizationId: first?.organizationId ?? null, userAgent: client.userAgent });
  return { user, session };
}

export async function listMemberships(db: DbOrTx, userId: string) {
  return db
    .select({
      organization: { id: organizations.id, name: organizations.name, kind: organizations.kind },
      role: memberships.role
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.name));
}

export async function getMe(db: DbOrTx, actor: Actor | null) {
  const a = requireActor(actor);
  return {
    user: { id: a.user.id, email: a.user.email, name: a.user.name },
    activeOrganizationId: a.organization?.id ?? null,
    memberships: await listMemberships(db, a.user.id)
  };
}

/** Make `organizationId` the session's active organisation (sessions only; API tokens are bound). */
export async function switchOrganization(db: DbOrTx, actor: Actor | null, organizationId: string) {
  const a = requireActor(actor);
  if (a.via !== 'session') {
    throw new AppError('VALIDATION_ERROR', 'API tokens are bound to one organisation; create a token in the other organisation');
  }
  const scoped = await actorInOrganization(db, a, organizationId);
  await db.update(sessions).set({ activeOrganizationId: organizationId }).where(eq(sessions.id, a.credentialId));
  return scoped.organization;
}

// ── Members ────────────────────────────────────────────────────────────────

export async function listMembers(db: DbOrTx, actor: Actor | null, organizationId: string) {
  const a = await actorInOrganization(db, actor, organizationId, 'viewer');
  return db
    .select({ user: { id: users.id, email: users.email, name: users.name }, role: memberships.role, joinedAt: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, a.organization.id))
    .orderBy(asc(users.name));
}

export async function changeMemberRole(
  db: Db,
  actor: Actor | null,
  organizationId: string,
  userId: string,
  role: MembershipRole,
  client: ClientInfo
) {
  const a = await actorInOrganization(db, actor, organizationId, 'admin');
  return db.transaction(async (tx) => {
    const [target] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, a.organization.id), eq(memberships.userId, userId)));
    if (!target) throw notFound('Member');
    // Only owners grant or take away ownership.
    if ((role === 'owner' || target.role === 'owner') && a.role !== 'owner') {
      throw new AppError('AUTHORIZATION_ERROR', 'Only an owner can grant or remove the owner role');
    }
    if (target.role === 'owner' && role !== 'owner') await assertAnotherOwner(tx, a.organization.id, userId);
    await tx
      .update(memberships)
      .set({ role })
      .where(and(eq(memberships.organizationId, a.organization.id), eq(memberships.userId, userId)));
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'membership.role_changed',
      entityType: 'membership',
      entityId: userId,
      before: { role: target.role },
      after: { role },
      client
    });
    return { userId, role };
  });
}

export async function removeMember(db: Db, actor: Actor | null, organizationId: string, userId: string, client: ClientInfo) {
  const a = await actorInOrganization(db, actor, organizationId, 'viewer');
  const leavingSelf = userId === a.user.id;
  if (!leavingSelf) requireRole(a, 'admin');
  return db.transaction(async (tx) => {
    const [target] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, a.organization.id), eq(memberships.userId, userId)));
    if (!target) throw notFound('Member');
    if (target.role === 'owner' && !leavingSelf && a.role !== 'owner') {
      throw new AppError('AUTHORIZATION_ERROR', 'Only an owner can remove an owner');
    }
    if (target.role === 'owner') await assertAnotherOwner(tx, a.organization.id, userId);
    await tx.delete(memberships).where(and(eq(memberships.organizationId, a.organization.id), eq(memberships.userId, userId)));
    // Tokens bound to this organisation stop working at once.
    await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.organizationId, a.organization.id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'membership.removed',
      entityType: 'membership',
      entityId: userId,
      before: { role: target.role },
      client
    });
  });
}

async function assertAnotherOwner(tx: DbOrTx, organizationId: string, exceptUserId: string) {
  const owners = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.role, 'owner')));
  if (!owners.some((o) => o.userId !== exceptUserId)) {
    throw new AppError('CONFLICT', 'An organisation needs at least one owner; make someone else owner first');
  }
}

/**
 * Owners and admins of an organisation, for system notifications (not
 * actor-scoped: callers are server code reacting to an event in that organisation).
 */
export async function organizationAdmins(db: DbOrTx, organizationId: string) {
  return db
    .select({ id: users.id, name: users.name, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.organizationId, organizationId), inArray(memberships.role, ['owner', 'admin'])));
}

// ── Invitations ────────────────────────────────────────────────────────────

export async function createInvitation(
  db: Db,
  actor: Actor | null,
  organizationId: string,
  input: { role: MembershipRole; email?: string | null },
  client: ClientInfo
) {
  const a = await actorInOrganization(db, actor, organizationId, 'admin');
  if (input.role === 'owner' && a.role !== 'owner') {
    throw new AppError('AUTHORIZATION_ERROR', 'Only an owner can invite another owner');
  }
  const token = generateToken();
  return db.transaction(async (tx) => {
    const [invitation] = await tx
      .insert(invitations)
      .values({
        organizationId: a.organization.id,
        role: input.role,
        email: input.email ? normalizeEmail(input.email) : null,
        tokenHash: hashToken(token),
        createdBy: a.user.id,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS)
      })
      .returning();
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'invitation.created',
      entityType: 'invitation',
      entityId: invitation.id,
      after: { role: invitation.role, email: invitation.email, expiresAt: invitation.expiresAt },
      client
    });
    return { token, invitation };
  });
}

export async function listInvitations(db: DbOrTx, actor: Actor | null, organizationId: string) {
  const a = await actorInOrganization(db, actor, organizationId, 'admin');
  return db
    .select()
    .from(invitations)
    .where(and(eq(invitations.organizationId, a.organization.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, new Date())))
    .orderBy(desc(invitations.createdAt));
}

export async function revokeInvitation(db: Db, actor: Actor | null, organizationId: string, invitationId: string, client: ClientInfo) {
  const a = await actorInOrganization(db, actor, organizationId, 'admin');
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(and(eq(invitations.id, invitationId), eq(invitations.organizationId, a.organization.id), isNull(invitations.acceptedAt)))
      .returning();
    if (!row) throw notFound('Invitation');
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'invitation.revoked',
      entityType: 'invitation',
      entityId: row.id,
      client
    });
  });
}

/** Public view of an invitation link (no sign-in needed): which organisation and role. */
export async function findOpenInvitation(db: DbOrTx, token: string) {
  const [row] = await db
    .select({ invitation: invitations, organization: { id: organizations.id, name: organizations.name, kind: organizations.kind } })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(eq(invitations.tokenHash, hashToken(token)));
  if (!row) throw notFound('Invitation');
  const i = row.invitation;
  if (i.revokedAt) throw new AppError('NOT_FOUND', 'This invitation was revoked; ask for a new link');
  if (i.acceptedAt) throw new AppError('CONFLICT', 'This invitation has already been used');
  if (i.expiresAt.getTime() <= Date.now()) throw new AppError('NOT_FOUND', 'This invitation has expired; ask for a new link');
  return { id: i.id, role: i.role, email: i.email, organization: row.organization };
}

/** The signed-in user joins the invitation's organisation with its role. */
export async function acceptInvitation(db: Db, actor: Actor | null, token: string, client: ClientInfo) {
  const a = requireActor(actor);
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select()
      .from(invitations)
      .where(eq(invitations.tokenHash, hashToken(token)))
      .for('update');
    if (!locked) throw notFound('Invitation');
    const open = await findOpenInvitation(tx, token);
    if (open.email && open.email !== a.user.email) {
      throw new AppError('AUTHORIZATION_ERROR', `This invitation is for ${open.email}; sign in with that address`);
    }
    const [existing] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.userId, a.user.id), eq(memberships.organizationId, open.organization.id)));
    if (existing) throw new AppError('CONFLICT', `You are already a member of ${open.organization.name}`);
    await tx.insert(memberships).values({ userId: a.user.id, organizationId: open.organization.id, role: open.role });
    await tx.update(invitations).set({ acceptedAt: new Date(), acceptedBy: a.user.id }).where(eq(invitations.id, open.id));
    if (a.via === 'session') {
      await tx.update(sessions).set({ activeOrganizationId: open.organization.id }).where(eq(sessions.id, a.credentialId));
    }
    await recordAudit(tx, {
      organizationId: open.organization.id,
      actorUserId: a.user.id,
      action: 'membership.joined',
      entityType: 'membership',
      entityId: a.user.id,
      after: { role: open.role, invitationId: open.id },
      client
    });
    return { organization: open.organization, role: open.role };
  });
}

/**
 * Someone without an account opens an invitation link: create the account and
 * join in one transaction, without creating an organisation of their own.
 */
export async function signUpWithInvitation(
  db: Db,
  input: { email: string; password: string; name: string },
  token: string,
  client: ClientInfo
) {
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const open = await findOpenInvitation(tx, token);
    if (open.email && open.email !== email) {
      throw new AppError('AUTHORIZATION_ERROR', `This invitation is for ${open.email}`, [{ field: 'email', message: `must be ${open.email}` }]);
    }
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (existing) {
      throw new AppError('CONFLICT', 'An account with this email already exists; sign in to accept the invitation', [
        { field: 'email', message: 'is already registered; sign in instead' }
      ]);
    }
    const [user] = await tx.insert(users).values({ email, name: input.name.trim(), passwordHash }).returning();
    await tx.insert(memberships).values({ userId: user.id, organizationId: open.organization.id, role: open.role });
    await tx.update(invitations).set({ acceptedAt: new Date(), acceptedBy: user.id }).where(eq(invitations.id, open.id));
    await recordAudit(tx, {
      organizationId: open.organization.id,
      actorUserId: user.id,
      action: 'membership.joined',
      entityType: 'membership',
      entityId: user.id,
      after: { role: open.role, invitationId: open.id, newAccount: true },
      client
    });
    const session = await createSession(tx, user.id, { organizationId: open.organization.id, userAgent: client.userAgent });
    return { user: { id: user.id, email: user.email, name: user.name }, organization: open.organization, role: open.role, session };
  });
}

// ── API tokens ─────────────────────────────────────────────────────────────

/** The caller's live tokens, newest first (rows: present them with web/src/lib/server/api/presenters, never the hash). */
export async function listApiTokens(db: DbOrTx, actor: Actor | null) {
  const a = requireActor(actor);
  return db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, a.user.id), isNull(apiTokens.revokedAt)))
    .orderBy(desc(apiTokens.createdAt));
}

/** Create a token in the actor's active organisation. The plain token is returned once. */
export async function issueApiToken(
  db: Db,
  actor: Actor | null,
  input: { name: string; expiresInDays?: number | null },
  client: ClientInfo
) {
  const a = requireRole(actor, 'viewer');
  return db.transaction(async (tx) => {
    const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
    const { token, apiToken } = await createApiToken(tx, {
      userId: a.user.id,
      organizationId: a.organization.id,
      name: input.name.trim(),
      expiresAt
    });
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'api_token.created',
      entityType: 'api_token',
      entityId: apiToken.id,
      after: { name: apiToken.name, prefix: apiToken.prefix, expiresAt },
      client
    });
    return { token, apiToken };
  });
}

export async function revokeApiToken(db: Db, actor: Actor | null, tokenId: string, client: ClientInfo) {
  const a = requireActor(actor);
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, a.user.id), isNull(apiTokens.revokedAt)))
      .returning();
    if (!row) throw notFound('API token');
    await recordAudit(tx, {
      organizationId: row.organizationId,
      actorUserId: a.user.id,
      action: 'api_token.revoked',
      entityType: 'api_token',
      entityId: row.id,
      client
    });
  });
}

export { roleAtLeast };
