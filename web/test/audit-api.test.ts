/**
 * GET /api/v1/audit/verification and POST /api/v1/audit/checkpoints through
 * their real handlers: owners and admins only, an intact chain answers ok, a
 * chain rewritten by someone with write access to the database answers broken
 * with where and why.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createInvitation, signUpWithInvitation } from '$db/access/accounts';
import { authenticateToken, type Actor } from '$db/auth';
import { auditCheckpointResponse, auditVerificationResponse } from '$lib/server/api/schemas';
import { client, newOrganization, testDbs, uniqueEmail } from '../../db/test/fixtures';
import { GET } from '../src/routes/api/v1/audit/verification/+server';
import { POST } from '../src/routes/api/v1/audit/checkpoints/+server';

process.env.AUDIT_CHECKPOINT_KEY ??= randomBytes(32).toString('hex');

const { db, owner } = testDbs();

const call = (handler: typeof GET | typeof POST, actor: Actor | null) => handler({ locals: { actor } } as never) as Promise<Response>;

async function ownerActor(): Promise<Actor> {
  const org = await newOrganization(db);
  return (await authenticateToken(db, org.token))!;
}

describe('audit verification API', () => {
  it('answers ok for an intact chain, signs it on demand, then shows a rewrite as broken', async () => {
    const actor = await ownerActor();
    const first = auditVerificationResponse.parse(await (await call(GET, actor)).json()).data;
    expect(first).toMatchObject({ organization_id: actor.organization!.id, status: 'ok', events: 1, anchored: true, problems: [] });

    const signed = await call(POST, actor);
    expect(signed.status).toBe(201);
    const { checkpoint } = auditCheckpointResponse.parse(await signed.json()).data;
    expect(checkpoint).toMatchObject({ event_count: 1, last_event_id: first.head!.event_id });

    await owner.execute(sql`update audit_events set action = 'forged' where id = ${first.head!.event_id}`);
    const after = auditVerificationResponse.parse(await (await call(GET, actor)).json()).data;
    expect(after.status).toBe('broken');
    expect(after.problems[0]).toMatchObject({ event_id: first.head!.event_id, reason: expect.stringMatching(/does not match its hash/) });
    // A broken chain is not signed.
    expect((await call(POST, actor)).status).toBe(409);
  });

  it('is for owners and admins only', async () => {
    const actor = await ownerActor();
    const { token } = await createInvitation(db, actor, actor.organization!.id, { role: 'scientist' }, client);
    const joined = await signUpWithInvitation(db, { email: uniqueEmail('sci'), password: 'correct horse battery', name: 'S' }, token, client);
    const scientist = (await authenticateToken(db, joined.session.token))!;
    expect((await call(GET, scientist)).status).toBe(403);
    expect((await call(POST, scientist)).status).toBe(403);
    expect((await call(GET, null)).status).toBe(401);
  });
});
