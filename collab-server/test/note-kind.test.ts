/**
 * Proof that a live-document kind is one folder: `note` (test/kinds/note/:
 * shape, access rule, projection, history words and mentions) is registered
 * through createCollabServer's options only, and gets presence, history,
 * versions, restore and mentions from the generic server. Real Hocuspocus
 * server, real providers, real Postgres and Redis.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues } from '../../common/queues';
import { documentAt, documentHistory } from '../../db/access/document-history';
import { authenticateToken } from '../../db/auth';
import { closeDb, createDb } from '../../db/client';
import { auditEvents, documentChanges } from '../../db/schema';
import { documentKinds } from '../documents';
import { restoreVersion } from '../server';
import { createMember, createOrganization, testEnv, useHarness, waitForDoc, waitForEvent } from './fixtures';
import { addNoteComment, ensureNoteProjectionTable, noteDocument, readNote, writeBody } from './kinds/note';

const { db, h } = useHarness();
const queues = createQueues(testEnv().redisUrl, h.redisPrefix);

beforeAll(async () => {
  // The projection's table is the test's own; making it needs the owner's rights.
  const owner = createDb(process.env.DATABASE_OWNER_URL ?? testEnv().databaseUrl, { max: 1 });
  try {
    await ensureNoteProjectionTable(owner);
  } finally {
    await closeDb(owner);
  }
});
afterAll(() => queues.close());

const projection = async (name: string) =>
  (await db.execute<{ words: number; comments: number }>(sql`select words, comments from test_note_projection where document_name = ${name}`)).rows[0] ?? null;

describe('a document kind defined in one folder', () => {
  it('gets presence, history, mentions, versions and restore from the generic server', async () => {
    const org = await createOrganization(db);
    const other = await createOrganization(db);
    const [ana, ben, vic] = await Promise.all([
      createMember(db, org.id, 'scientist'),
      createMember(db, org.id, 'scientist'),
      createMember(db, org.id, 'viewer')
    ]);
    const outsider = await createMember(db, other.id, 'owner');
    const name = `note:${org.id}.design-review`;
    const server = await h.startServer({ kinds: [...documentKinds, noteDocument], queues });
    const stored = () => waitForEvent(server.events, 'stored', (e: { documentName: string }) => e.documentName === name);

    // Access: the kind's rule (members by role), refusals as for any kind.
    expect(await h.connect(server, name, outsider.token).auth).toEqual({ ok: false, reason: 'forbidden' });
    expect(await h.connect(server, name, vic.token).auth).toEqual({ ok: true, scope: 'readonly' });
    expect(await h.connect(server, `note:${org.id}.Not_A_Slug`, ana.token).auth).toEqual({ ok: false, reason: 'unknown-document' });
    const a = h.connect(server, name, ana.token);
    const b = h.connect(server, name, ben.token);
    await Promise.all([a.ready(), b.ready()]);

    // Presence.
    const seen = waitForEvent(b.provider.awareness!, 'change', () =>
      [...b.provider.awareness!.getStates().values()].some((s) => s.user?.id === ana.user.id)
    );
    a.provider.setAwarenessField('user', { id: ana.user.id, name: ana.user.name, color: '#123' });
    await seen;

    // An edit: stored, projected and in the history, credited to Ana.
    let done = stored();
    writeBody(a.doc, 'first draft');
    await a.acknowledged();
    await done;
    expect(await projection(name)).toEqual({ words: 2, comments: 0 });
    const [first] = await documentHistory(db, name, { limit: 10 });
    expect(first).toMatchObject({ userId: ana.user.id, summary: [{ kind: 'note.edited', text: 'edited the note' }], restoredFrom: null });

    // Ben comments, mentioning Ana, himself and someone who cannot open the note.
    await waitForDoc(b.doc, (d) => readNote(d).body === 'first draft');
    const commentId = randomUUID();
    done = stored();
    addNoteComment(b.doc, { id: commentId, authorId: ben.user.id, authorName: ben.user.name, text: 'see the second part', mentions: [ana.user.id, ben.user.id, outsider.user.id] });
    await b.acknowledged();
    await done;
    const job = await queues.queues.notifications.getJob(`note-mention-${commentId}-${ana.user.id}`);
    expect(job?.data.notification).toMatchObject({ userId: ana.user.id, kind: 'note.mention', link: `/notes/${org.id}.design-review` });
    expect(job?.data.notification.title).toContain(ben.user.name);
    expect(await queues.queues.notifications.getJob(`note-mention-${commentId}-${ben.user.id}`)).toBeUndefined();
    expect(await queues.queues.notifications.getJob(`note-mention-${commentId}-${outsider.user.id}`)).toBeUndefined();
    expect(await projection(name)).toEqual({ words: 2, comments: 1 });

    done = stored();
    writeBody(a.doc, 'second draft, much longer');
    await a.acknowledged();
    await done;

    // A version: the note right after the first change.
    const version = (await documentAt(db, name, first.id))!;
    expect(readNote(version)).toEqual({ body: 'first draft', comments: [] });
    version.destroy();

    // Restore it as Ana: live on Ben's side, recorded as a restore, projected, audited.
    const actor = (await authenticateToken(db, ana.token))!;
    done = stored();
    await restoreVersion(server, db, name, first.id, actor);
    await waitForDoc(b.doc, (d) => readNote(d).body === 'first draft' && readNote(d).comments.length === 0, 5000, 'the restored note on Ben’s side');
    await done;
    const rows = await db.select().from(documentChanges).where(eq(documentChanges.documentName, name)).orderBy(asc(documentChanges.id));
    expect(rows.map((r) => [r.kind, r.userId])).toEqual([
      ['note', ana.user.id],
      ['note', ben.user.id],
      ['note', ana.user.id],
      ['note', ana.user.id]
    ]);
    expect(rows[3]).toMatchObject({ restoredFrom: first.id });
    expect((rows[3].summary as Array<{ text: string }>)[0].text).toBe(`restored the note to change #${first.id}`);
    expect(rows[0].snapshot).not.toBeNull(); // a document's first row carries a snapshot
    expect(await projection(name)).toEqual({ words: 2, comments: 0 });
    const audits = await db
      .select({ action: auditEvents.action, actor: auditEvents.actorUserId })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, 'note'), eq(auditEvents.entityId, `${org.id}.design-review`)))
      .orderBy(asc(auditEvents.id));
    expect(audits).toEqual([
      { action: 'note.changed', actor: ana.user.id },
      { action: 'note.changed', actor: ben.user.id },
      { action: 'note.changed', actor: ana.user.id },
      { action: 'note.restored', actor: ana.user.id }
    ]);
  });
});
