import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import {
  acceptInvitation,
  changeMemberRole,
  createInvitation,
  findOpenInvitation,
  getMe,
  issueApiToken,
  listInvitations,
  listMembers,
  logIn,
  removeMember,
  revokeApiToken,
  signUp,
  signUpWithInvitation,
  switchOrganization
} from '../access/accounts';
import { authenticateToken, SESSION_RENEW_WITHIN_MS, type Actor } from '../auth';
import { recordAudit, recordAudits, verifyAuditChain } from '../audit';
import { closeDb, type Db } from '../client';
import { auditEvents, sessions } from '../schema';
import { AppError } from '../../common/errors';
import { client, newOrganization, ownerDb, testDb, uniqueEmail } from './fixtures';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await closeDb(db);
});

async function actorFor(token: string): Promise<Actor> {
  const actor = await authenticateToken(db, token);
  if (!actor) throw new Error('token did not authenticate');
  return actor;
}

/** Await a rejection and return its AppError code. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'NO_ERROR';
}

/** Invite someone new into `orgId` with `role`, return their actor. */
async function member(inviter: Actor, orgId: string, role: 'owner' | 'admin' | 'scientist' | 'viewer') {
  const { token } = await createInvitation(db, inviter, orgId, { role }, client);
  const res = await signUpWithInvitation(db, { email: uniqueEmail(role), password: 'correct horse battery', name: role }, token, client);
  return actorFor(res.session.token);
}

describe('sign up and sign in', () => {
  it('creates the user, an organisation they own and a working session', async () => {
    const org = await newOrganization(db, 'cro', 'Synthesis Partners');
    const actor = await actorFor(org.token);
    expect(actor.user.email).toBe(org.email);
    expect(actor.organization).toMatchObject({ name: 'Synthesis Partners', kind: 'cro' });
    expect(actor.role).toBe('owner');
    const me = await getMe(db, actor);
    expect(me.memberships).toEqual([{ organization: { id: org.organization.id, name: 'Synthesis Partners', kind: 'cro' }, role: 'owner' }]);
  });

  it('refuses a second account with the same email (any case)', async () => {
    const org = await newOrganization(db);
    const again = signUp(db, { email: org.email.toUpperCase(), password: 'another password', name: 'X', organization: { name: 'Y', kind: 'pharma' } }, client);
    expect(await codeOf(again)).toBe('CONFLICT');
  });

  it('signs in with the right password only, and stores only the token hash', async () => {
    const org = await newOrganization(db);
    expect(await codeOf(logIn(db, org.email, 'wrong password', client))).toBe('AUTHENTICATION_ERROR');
    expect(await codeOf(logIn(db, 'nobody@test.example', 'whatever', client))).toBe('AUTHENTICATION_ERROR');
    const { session } = await logIn(db, org.email, 'correct horse battery', client);
    const rows = await db.select().from(sessions).where(eq(sessions.userId, org.user.id));
    expect(rows.map((r) => r.id)).not.toContain(session.token);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.id))).toBe(true);
  });

  it('slides a session forward when it is used close to expiry, and drops an expired one', async () => {
    const org = await newOrganization(db);
    const actor = await actorFor(org.token);
    const soon = new Date(Date.now() + SESSION_RENEW_WITHIN_MS / 2);
    await db.update(sessions).set({ expiresAt: soon }).where(eq(sessions.id, actor.credentialId));
    const renewed = await actorFor(org.token);
    expect(renewed.sessionExpiresAt!.getTime()).toBeGreaterThan(soon.getTime() + 24 * 3600_000);
    await db.update(sessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.id, actor.credentialId));
    expect(await authenticateToken(db, org.token)).toBeNull();
  });
});

describe('organisations cannot see each other', () => {
  it('answers 404 (not 403) for another organisation’s members and invitations', async () => {
    const a = await newOrganization(db);
    const b = await newOrganization(db);
    const bActor = await actorFor(b.token);
    expect(await codeOf(listMembers(db, bActor, a.organization.id))).toBe('NOT_FOUND');
    expect(await codeOf(listInvitations(db, bActor, a.organization.id))).toBe('NOT_FOUND');
    expect(await codeOf(createInvitation(db, bActor, a.organization.id, { role: 'admin' }, client))).toBe('NOT_FOUND');
    expect(await codeOf(switchOrganization(db, bActor, a.organization.id))).toBe('NOT_FOUND');
    expect(await codeOf(listMembers(db, bActor, 'not-a-uuid'))).toBe('NOT_FOUND');
  });

  it('binds an API token to its organisation, even for a user in both', async () => {
    const a = await newOrganization(db);
    const b = await newOrganization(db);
    const aOwner = await actorFor(a.token);
    const bOwner = await actorFor(b.token);
    // b's owner joins a as scientist.
    const { token: invite } = await createInvitation(db, aOwner, a.organization.id, { role: 'scientist' }, client);
    await acceptInvitation(db, bOwner, invite, client);
    const bOwnerNow = await actorFor(b.token); // session switched to a on accept
    expect(bOwnerNow.organization?.id).toBe(a.organization.id);
    await switchOrganization(db, bOwnerNow, b.organization.id);
    const inB = await actorFor(b.token);
    const { token } = await issueApiToken(db, inB, { name: 'script' }, client);
    const viaToken = await actorFor(token);
    expect(viaToken.via).toBe('api_token');
    expect(viaToken.organization?.id).toBe(b.organization.id);
    expect(await codeOf(listMembers(db, viaToken, a.organization.id))).toBe('NOT_FOUND');
    expect((await listMembers(db, viaToken, b.organization.id)).length).toBe(1);
  });
});

describe('roles', () => {
  it('lets only admins and owners invite, and only owners grant ownership', async () => {
    const org = await newOrganization(db);
    const owner = await actorFor(org.token);
    const orgId = org.organization.id;
    const viewer = await member(owner, orgId, 'viewer');
    const scientist = await member(owner, orgId, 'scientist');
    const admin = await member(owner, orgId, 'admin');
    expect(viewer.role).toBe('viewer');
    expect(await codeOf(createInvitation(db, viewer, orgId, { role: 'viewer' }, client))).toBe('AUTHORIZATION_ERROR');
    expect(await codeOf(createInvitation(db, scientist, orgId, { role: 'viewer' }, client))).toBe('AUTHORIZATION_ERROR');
    expect(await codeOf(createInvitation(db, admin, orgId, { role: 'owner' }, client))).toBe('AUTHORIZATION_ERROR');
    expect(await codeOf(createInvitation(db, admin, orgId, { role: 'scientist' }, client))).toBe('NO_ERROR');
    expect(await codeOf(changeMemberRole(db, scientist, orgId, viewer.user.id, 'admin', client))).toBe('AUTHORIZATION_ERROR');
    expect(await codeOf(changeMemberRole(db, admin, orgId, owner.user.id, 'viewer', client))).toBe('AUTHORIZATION_ERROR');
    await changeMemberRole(db, admin, orgId, viewer.user.id, 'scientist', client);
    expect((await actorFor((await logIn(db, viewer.user.email, 'correct horse battery', client)).session.token)).role).toBe('scientist');
  });

  it('keeps at least one owner', async () => {
    const org = await newOrganization(db);
    const owner = await actorFor(org.token);
    expect(await codeOf(changeMemberRole(db, owner, org.organization.id, owner.user.id, 'admin', client))).toBe('CONFLICT');
    expect(await codeOf(removeMember(db, owner, org.organization.id, owner.user.id, client))).toBe('CONFLICT');
  });

  it('revokes a removed member’s API tokens at once', async () => {
    const org = await newOrganization(db);
    const owner = await actorFor(org.token);
    const sci = await member(owner, org.organization.id, 'scientist');
    const { token } = await issueApiToken(db, sci, { name: 'ci' }, client);
    expect(await authenticateToken(db, token)).not.toBeNull();
    await removeMember(db, owner, org.organization.id, sci.user.id, client);
    expect(await authenticateToken(db, token)).toBeNull();
  });
});

describe('invitations and tokens', () => {
  it('is single-use, respects its email, and can be revoked', async () => {
    const org = await newOrganization(db);
    const owner = await actorFor(org.token);
    const email = uniqueEmail('invited');
    const { token } = await createInvitation(db, owner, org.organization.id, { role: 'viewer', email }, client);
    expect((await findOpenInvitation(db, token)).organization.id).toBe(org.organization.id);
    const wrong = signUpWithInvitation(db, { email: uniqueEmail('other'), password: 'correct horse battery', name: 'O' }, token, client);
    expect(await codeOf(wrong)).toBe('AUTHORIZATION_ERROR');
    const joined = await signUpWithInvitation(db, { email, password: 'correct horse battery', name: 'I' }, token, client);
    expect(joined.role).toBe('viewer');
    expect(await codeOf(findOpenInvitation(db, token))).toBe('CONFLICT');
    const second = await createInvitation(db, owner, org.organization.id, { role: 'scientist' }, client);
    const { revokeInvitation } = await import('../access/accounts');
    await revokeInvitation(db, owner, org.organization.id, second.invitation.id, client);
    expect(await codeOf(findOpenInvitation(db, second.token))).toBe('NOT_FOUND');
  });

  it('stops authenticating a revoked API token', async () => {
    const org = await newOrganization(db);
    const owner = await actorFor(org.token);
    const { token, apiToken } = await issueApiToken(db, owner, { name: 'tmp' }, client);
    expect(token.startsWith('clk_')).toBe(true);
    expect((await actorFor(token)).user.id).toBe(owner.user.id);
    await revokeApiToken(db, owner, apiToken.id, client);
    expect(await authenticateToken(db, token)).toBeNull();
  });
});

describe('audit trail', () => {
  it('chains every change and shows tampering', async () => {
    const org = await newOrganization(db);
    const owner = await actorFor(org.token);
    await createInvitation(db, owner, org.organization.id, { role: 'viewer' }, client);
    await issueApiToken(db, owner, { name: 'audit' }, client);
    const intact = await verifyAuditChain(db, org.organization.id);
    expect(intact).toMatchObject({ ok: true, count: 3 });
    const [first] = await db.select().from(auditEvents).where(eq(auditEvents.organizationId, org.organization.id)).orderBy(auditEvents.id).limit(1);
    // As the owner: the app role may not update audit events at all (db/test/audit.test.ts).
    const asOwner = ownerDb();
    await asOwner.execute(sql`update audit_events set after = '{"name":"forged"}'::jsonb where id = ${first.id}`).finally(() => closeDb(asOwner));
    const broken = await verifyAuditChain(db, org.organization.id);
    expect(broken).toMatchObject({ ok: false, brokenAt: first.id });
  });

  it('keeps each chain linear when a batch interleaves organisations and single events come between', async () => {
    const a = await newOrganization(db);
    const b = await newOrganization(db);
    const ev = (organizationId: string, n: number) => ({ organizationId, actorUserId: null, action: 'test.batched', entityType: 'test', after: { n } });
    await recordAudits(db, [ev(a.organization.id, 1), ev(b.organization.id, 1), ev(a.organization.id, 2), ev(a.organization.id, 3), ev(b.organization.id, 2)]);
    await recordAudit(db, ev(a.organization.id, 4));
    await db.transaction((tx) => recordAudits(tx, [ev(b.organization.id, 3), ev(a.organization.id, 5)]));
    const chainA = await verifyAuditChain(db, a.organization.id);
    const chainB = await verifyAuditChain(db, b.organization.id);
    // signUp wrote one event per organisation before these.
    expect(chainA).toMatchObject({ ok: true, count: 6 });
    expect(chainB).toMatchObject({ ok: true, count: 4 });
    const order = await db
      .select({ after: auditEvents.after })
      .from(auditEvents)
      .where(eq(auditEvents.organizationId, a.organization.id))
      .orderBy(auditEvents.id);
    expect(order.slice(1).map((r) => (r.after as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
  });
});
