/**
 * authenticateToken's one-statement session lookup (db/auth.ts): the session acts in its
 * active organisation while the user is a member there, else in the oldest membership, else
 * in none; a signed-out session no longer authenticates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { acceptInvitation, createInvitation, removeMember, switchOrganization } from '../access/accounts';
import { authenticateToken, invalidateSession, type Actor } from '../auth';
import { closeDb, type Db } from '../client';
import { memberships, sessions } from '../schema';
import { client, newOrganization, testDb } from './fixtures';

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

describe('the organisation a session acts in', () => {
  it('is the active one, then the oldest membership once the active one is gone, then none', async () => {
    const home = await newOrganization(db);
    const other = await newOrganization(db);
    const homeOwner = await actorFor(home.token);
    const otherOwner = await actorFor(other.token);
    // home's owner joins `other` as a scientist; accepting makes `other` the active organisation.
    const { token: invite } = await createInvitation(db, otherOwner, other.organization.id, { role: 'scientist' }, client);
    await acceptInvitation(db, homeOwner, invite, client);
    const inOther = await actorFor(home.token);
    expect(inOther.organization?.id).toBe(other.organization.id);
    expect(inOther.role).toBe('scientist');

    await switchOrganization(db, inOther, home.organization.id);
    expect((await actorFor(home.token)).organization?.id).toBe(home.organization.id);
    await switchOrganization(db, await actorFor(home.token), other.organization.id);

    // Removed from the active organisation: the oldest remaining membership, with its own role.
    await removeMember(db, otherOwner, other.organization.id, homeOwner.user.id, client);
    const fallback = await actorFor(home.token);
    expect(fallback.organization?.id).toBe(home.organization.id);
    expect(fallback.role).toBe('owner');

    // No active organisation set: the oldest membership too.
    await db.update(sessions).set({ activeOrganizationId: null }).where(eq(sessions.id, fallback.credentialId));
    expect((await actorFor(home.token)).organization?.id).toBe(home.organization.id);

    // No membership at all: still the user, in no organisation.
    await db.delete(memberships).where(eq(memberships.userId, homeOwner.user.id));
    const alone = await actorFor(home.token);
    expect(alone.user.id).toBe(homeOwner.user.id);
    expect(alone.organization).toBeNull();
    expect(alone.role).toBeNull();
  });

  it('ends when the session is signed out', async () => {
    const org = await newOrganization(db);
    expect(await authenticateToken(db, org.token)).not.toBeNull();
    await invalidateSession(db, org.token);
    expect(await authenticateToken(db, org.token)).toBeNull();
  });
});
