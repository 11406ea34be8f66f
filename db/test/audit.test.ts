/**
 * The audit trail against someone who can write the database: the app role
 * cannot change or remove events and checkpoints (grants + trigger, migration
 * 0004); the owner (standing in for a superuser) can, and the signed
 * checkpoints show every such rewrite.
 */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointKey, checkpointKeyFromEnv, eventHash, recordAudits, verifyAuditChain, writeAuditCheckpoints } from '../audit';
import { auditCheckpoints, auditEvents, users } from '../schema';
import { appRoleUrl, newOrganization, testDbs } from './fixtures';

const { db, owner } = testDbs();

// The stack's key when it has one: a worker that writes checkpoints meanwhile signs with it.
const key = checkpointKeyFromEnv() ?? checkpointKey(randomBytes(32).toString('hex'));
const ev = (organizationId: string, n: number) => ({ organizationId, actorUserId: null, action: 'test.audited', entityType: 'test', after: { n } });

/** An organisation whose chain has `n` events after sign-up. */
async function chainOf(n: number): Promise<string> {
  const org = await newOrganization(db);
  await recordAudits(db, Array.from({ length: n }, (_, i) => ev(org.organization.id, i + 1)));
  return org.organization.id;
}

/** The Postgres error code a query fails with, or 'ok'. */
async function sqlState(client: pg.Client, text: string): Promise<string> {
  try {
    await client.query(text);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/**
 * Rewrite one event the way an attacker with write access would: change its content and
 * recompute every hash after it, so the chain links again.
 */
async function rewriteForward(organizationId: string, eventId: number) {
  await owner.transaction(async (tx) => {
    await tx.execute(sql`update audit_events set after = '{"n":"forged"}'::jsonb where id = ${eventId}`);
    const rows = await tx.select().from(auditEvents).where(eq(auditEvents.organizationId, organizationId)).orderBy(auditEvents.id);
    let prev: string | null = null;
    for (const r of rows) {
      const hash: string = eventHash(prev, r);
      await tx.update(auditEvents).set({ prevHash: prev, hash }).where(eq(auditEvents.id, r.id));
      prev = hash;
    }
  });
}

describe('the app role and the audit tables', () => {
  let app: pg.Client;
  beforeAll(async () => {
    app = new pg.Client({ connectionString: await appRoleUrl() });
    await app.connect();
  });
  afterAll(async () => {
    await app.end();
  });

  it('may add and read events and checkpoints, never change, delete, truncate or unhook them', async () => {
    const orgId = await chainOf(1);
    const { rows } = await app.query('select id from audit_events where organization_id = $1 order by id desc limit 1', [orgId]);
    const id = rows[0].id;
    expect(await sqlState(app, `insert into audit_checkpoints (organization_id, last_event_id, event_count, head_hash, key_id, signature) values ('${orgId}', ${id}, 2, 'x', 'k', 's')`)).toBe('ok');
    for (const table of ['audit_events', 'audit_checkpoints']) {
      const where = `organization_id = '${orgId}'`;
      expect(await sqlState(app, `update ${table} set organization_id = organization_id where ${where}`), `UPDATE ${table}`).toBe('42501');
      expect(await sqlState(app, `delete from ${table} where ${where}`), `DELETE ${table}`).toBe('42501');
      expect(await sqlState(app, `truncate ${table}`), `TRUNCATE ${table}`).toBe('42501');
      expect(await sqlState(app, `drop trigger ${table}_append_only on ${table}`), `DROP TRIGGER ${table}`).toBe('42501');
      expect(await sqlState(app, `alter table ${table} disable trigger all`), `DISABLE TRIGGER ${table}`).toBe('42501');
    }
    const { rows: still } = await app.query('select count(*)::int as n from audit_events where organization_id = $1', [orgId]);
    expect(still[0].n).toBe(2);
  });

  it('is refused by the trigger even when a grant lets the statement through', async () => {
    const orgId = await chainOf(1);
    // A grant added by mistake later: the trigger still refuses.
    await owner.execute(sql`grant update, delete on audit_events to crosslink_app`);
    try {
      expect(await sqlState(app, `update audit_events set action = 'x' where organization_id = '${orgId}'`)).toBe('42501');
      expect(await sqlState(app, `delete from audit_events where organization_id = '${orgId}'`)).toBe('42501');
    } finally {
      await owner.execute(sql`revoke update, delete on audit_events from crosslink_app`);
    }
  });

  it('cannot wipe an organisation’s trail by deleting the organisation', async () => {
    const orgId = await chainOf(1);
    expect(await sqlState(app, `delete from organizations where id = '${orgId}'`)).toBe('42501');
    const { rows } = await app.query('select count(*)::int as n from audit_events where organization_id = $1', [orgId]);
    expect(rows[0].n).toBe(2);
  });

  it('owns nothing and is no superuser', async () => {
    const { rows } = await app.query(`select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user`);
    expect(rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    const { rows: owned } = await app.query(
      `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and pg_has_role(current_user, c.relowner, 'USAGE')`
    );
    expect(owned[0].n).toBe(0);
  });
});

describe('signed checkpoints', () => {
  it('verifies an untampered chain against its checkpoints', async () => {
    const orgId = await chainOf(3);
    const { written } = await writeAuditCheckpoints(db, key, { organizationId: orgId });
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ organizationId: orgId, eventCount: 4, keyId: key.id });
    expect(written[0].keyId).not.toContain(key.secret.toString('hex'));
    await recordAudits(db, [ev(orgId, 4)]);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    const v = await verifyAuditChain(db, orgId, key);
    expect(v).toMatchObject({ ok: true, count: 5, checkpointsChecked: 2, anchored: true, problems: [] });
    expect(v.newestCheckpoint).toMatchObject({ eventCount: 5, lastEventId: v.head!.eventId });
  });

  it('writes checkpoints for every chain with new events, and none again without', async () => {
    const orgId = await chainOf(1);
    await writeAuditCheckpoints(db, key);
    const v = await verifyAuditChain(db, orgId, key);
    expect(v.newestCheckpoint?.lastEventId).toBe(v.head!.eventId);
    const again = await writeAuditCheckpoints(db, key);
    expect(again.written.map((c) => c.organizationId)).not.toContain(orgId);
  });

  it('verifies a chain longer than one page of events', async () => {
    const orgId = await chainOf(5001);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    await recordAudits(db, [ev(orgId, 5002)]);
    const v = await verifyAuditChain(db, orgId, key);
    expect(v).toMatchObject({ ok: true, count: 5003, checkpointsChecked: 1 });
  });

  it('does not sign a chain whose events after the newest checkpoint were changed', async () => {
    const orgId = await chainOf(2);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    await recordAudits(db, [ev(orgId, 3), ev(orgId, 4)]);
    const [third] = await db.select().from(auditEvents).where(eq(auditEvents.organizationId, orgId)).orderBy(auditEvents.id).offset(3).limit(1);
    await owner.execute(sql`update audit_events set after = '{"n":"forged"}'::jsonb where id = ${third.id}`);
    const { written, refused } = await writeAuditCheckpoints(db, key, { organizationId: orgId });
    expect(written).toHaveLength(0);
    expect(refused[0]).toMatchObject({ brokenAt: third.id });
  });

  it('keeps verifying after a user who acted is deleted', async () => {
    const orgId = await chainOf(1);
    const [user] = await db.insert(users).values({ email: `gone-${randomBytes(4).toString('hex')}@test.example`, name: 'Gone', passwordHash: 'x' }).returning();
    await recordAudits(db, [{ ...ev(orgId, 2), actorUserId: user.id }]);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    await db.delete(users).where(eq(users.id, user.id));
    const v = await verifyAuditChain(db, orgId, key);
    expect(v).toMatchObject({ ok: true, count: 3, problems: [] });
    const [acted] = await db.select().from(auditEvents).where(eq(auditEvents.id, v.head!.eventId));
    expect(acted.actorUserId).toBe(user.id);
  });

  it('detects one row rewritten with every hash after it recomputed', async () => {
    const orgId = await chainOf(4);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    const [second] = await db.select().from(auditEvents).where(eq(auditEvents.organizationId, orgId)).orderBy(auditEvents.id).offset(1).limit(1);
    await rewriteForward(orgId, second.id);
    const v = await verifyAuditChain(db, orgId, key);
    // The chain links again: only the checkpoint shows it.
    expect(v.brokenAt).toBeNull();
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.reason)).toContainEqual(expect.stringMatching(/history rewritten/));
    // And a new checkpoint is not written over it.
    const { written, refused } = await writeAuditCheckpoints(db, key, { organizationId: orgId });
    expect(written).toHaveLength(0);
    expect(refused).toHaveLength(1);
  });

  it('detects the newest events deleted below a checkpoint', async () => {
    const orgId = await chainOf(4);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    await owner.execute(sql`delete from audit_events where id in (select id from audit_events where organization_id = ${orgId} order by id desc limit 2)`);
    const v = await verifyAuditChain(db, orgId, key);
    expect(v.brokenAt).toBeNull();
    expect(v).toMatchObject({ ok: false, count: 3 });
    expect(v.problems[0].reason).toMatch(/gone \(events deleted\)/);
  });

  it('detects an event deleted from the middle and the chain relinked', async () => {
    const orgId = await chainOf(4);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    const rows = await db.select().from(auditEvents).where(eq(auditEvents.organizationId, orgId)).orderBy(auditEvents.id);
    await owner.execute(sql`delete from audit_events where id = ${rows[1].id}`);
    await rewriteForward(orgId, rows[2].id);
    const v = await verifyAuditChain(db, orgId, key);
    expect(v.ok).toBe(false);
    expect(v.problems.length).toBeGreaterThan(0);
  });

  it('detects a forged checkpoint and one signed with another key', async () => {
    const orgId = await chainOf(2);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    const [real] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.organizationId, orgId));
    // Whoever can write the table but lacks the key: a checkpoint for a chain of their making.
    await db.insert(auditCheckpoints).values({ ...real, id: undefined, eventCount: 2, signature: 'ab'.repeat(32) });
    let v = await verifyAuditChain(db, orgId, key);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.reason)).toEqual([expect.stringMatching(/signature is invalid/)]);

    const other = checkpointKey(randomBytes(32).toString('hex'));
    v = await verifyAuditChain(db, orgId, other);
    expect(v.problems.length).toBeGreaterThan(0);
    expect(v.problems.every((p) => /another key/.test(p.reason))).toBe(true);
  });

  it('still recomputes the chain without a key, and says it is not anchored', async () => {
    const orgId = await chainOf(1);
    await writeAuditCheckpoints(db, key, { organizationId: orgId });
    const v = await verifyAuditChain(db, orgId, null);
    expect(v).toMatchObject({ ok: true, anchored: false, checkpointsChecked: 0, count: 2 });
  });
});
