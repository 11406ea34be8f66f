/**
 * Durability: state in `collab_documents` across restarts, flushing on
 * destroy, and the store + projector transaction.
 */
import { and, eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseCollabNotice } from '../../common/collab-notices';
import { notifications } from '../../db/schema';
import { organizationAccess, organizationDocument, type DocumentKind } from '../documents';
import type { CollabEvents } from '../server';
import { createMember, createOrganization, decodeState, storedRow, useHarness, waitForEvent } from './fixtures';

const { db, h } = useHarness();

type Stored = CollabEvents['stored'][0];
type StoreFailed = CollabEvents['storeFailed'][0];
const text = (doc: Y.Doc) => doc.getText('notes').toString();

async function orgDocument() {
  const org = await createOrganization(db);
  const member = await createMember(db, org.id, 'scientist');
  return { org, member, name: `organization:${org.id}` };
}

describe('persistence', () => {
  it('keeps a stored edit across a restart, with the organisation on the row', async () => {
    const { org, member, name } = await orgDocument();
    const first = await h.startServer();
    const writer = h.connect(first, name, member.token);
    await writer.ready();
    const stored = waitForEvent<Stored>(first.events, 'stored', (e) => e.documentName === name);
    writer.doc.getText('notes').insert(0, 'survives a restart');
    expect(await stored).toMatchObject({ documentName: name, organizationId: org.id });
    writer.destroy();
    await first.destroy();

    const row = (await storedRow(db, name))!;
    expect(row.organizationId).toBe(org.id);
    expect(text(decodeState(row.state))).toBe('survives a restart');

    const second = await h.startServer();
    const reader = h.connect(second, name, member.token);
    await reader.ready();
    expect(text(reader.doc)).toBe('survives a restart');
  });

  it('tells every client of the document, on every node, once its edits are stored', async () => {
    const { member, name } = await orgDocument();
    const storing = await h.startServer();
    // The other node would store only after a minute: its client hears the first node's store.
    const other = await h.startServer({ debounceMs: 60_000, maxDebounceMs: 60_000 });
    const writer = h.connect(storing, name, member.token);
    const watcher = h.connect(other, name, member.token);
    await Promise.all([writer.ready(), watcher.ready()]);
    const heard = (client: typeof writer) =>
      new Promise<string>((resolve) => {
        client.provider.on('stateless', ({ payload }: { payload: string }) => {
          const notice = parseCollabNotice(payload);
          if (notice) void storedRow(db, name).then((row) => resolve(text(decodeState(row!.state))));
        });
      });
    const atWriter = heard(writer);
    const atWatcher = heard(watcher);
    writer.doc.getText('notes').insert(0, 'stored before the notice');
    // The notice follows the commit: when it arrives, the row holds the edit.
    expect(await atWriter).toBe('stored before the notice');
    expect(await atWatcher).toBe('stored before the notice');
  });

  it('destroy() stores acknowledged edits that are still inside the debounce window', async () => {
    const { member, name } = await orgDocument();
    const collab = await h.startServer({ debounceMs: 60_000, maxDebounceMs: 60_000 });
    const writer = h.connect(collab, name, member.token);
    await writer.ready();
    writer.doc.getText('notes').insert(0, 'acknowledged, not yet stored');
    await writer.acknowledged();
    expect(await storedRow(db, name)).toBeNull();

    await collab.destroy();
    await collab.destroy(); // idempotent
    expect(text(decodeState((await storedRow(db, name))!.state))).toBe('acknowledged, not yet stored');
    expect(collab.hocuspocus.getDocumentsCount()).toBe(0);
  });

  it('destroy() that cannot unload a document in time still stores it', async () => {
    const { name } = await orgDocument();
    const collab = await h.startServer({ shutdownTimeoutMs: 300 });
    // A direct connection nobody closes keeps the document loaded past the timeout…
    const held = await collab.hocuspocus.openDirectConnection(name, {});
    // …and a change without an origin is one Hocuspocus schedules no store for.
    collab.hocuspocus.documents.get(name)!.getText('notes').insert(0, 'stored by the fallback');
    await collab.destroy();
    expect(text(decodeState((await storedRow(db, name))!.state))).toBe('stored by the fallback');
    await held.disconnect();
  });

  it('flush() stores pending documents while the server keeps running', async () => {
    const { member, name } = await orgDocument();
    const collab = await h.startServer({ debounceMs: 60_000, maxDebounceMs: 60_000 });
    const writer = h.connect(collab, name, member.token);
    await writer.ready();
    writer.doc.getText('notes').insert(0, 'flushed');
    await writer.acknowledged();
    await collab.flush();
    expect(text(decodeState((await storedRow(db, name))!.state))).toBe('flushed');
    writer.doc.getText('notes').insert(7, ' and still live');
    await writer.acknowledged();
    expect(text(collab.hocuspocus.documents.get(name)!)).toBe('flushed and still live');
  });
});

describe('store + project transaction', () => {
  /**
   * Test-only kind: `projected:<organisation id>`. Its projector writes a
   * notification in the store transaction, then throws if the document says so
   * (or `failing` is set), so a rollback must take the notification AND the
   * state with it.
   */
  let failing = false;
  const projectedKind: DocumentKind = {
    kind: 'projected',
    pattern: /^projected:([0-9a-f-]{36})$/,
    authorize: (tx, actor, id) => organizationAccess(tx, actor, id),
    organizationId: async (_tx, id) => id,
    async project(tx, documentName, ydoc, ref) {
      const meta = ydoc.getMap<unknown>('meta');
      const title = meta.get('title');
      const userId = meta.get('userId');
      if (typeof title !== 'string' || typeof userId !== 'string') return;
      await tx.insert(notifications).values({
        userId,
        organizationId: ref.id,
        kind: 'collab-projection-test',
        title,
        link: documentName
      });
      if (failing || meta.get('fail') === true) throw new Error('projector refused this state');
    }
  };
  const kinds = [organizationDocument, projectedKind];

  const projectedTitles = async (name: string) =>
    (
      await db
        .select({ title: notifications.title })
        .from(notifications)
        .where(and(eq(notifications.link, name), eq(notifications.kind, 'collab-projection-test')))
        .orderBy(notifications.createdAt)
    ).map((r) => r.title);
  const storedTitle = async (name: string) => decodeState((await storedRow(db, name))!.state).getMap('meta').get('title');

  beforeEach(() => {
    failing = false;
  });

  it('commits state and projection together, and a throwing projector rolls the state back', async () => {
    const org = await createOrganization(db);
    const member = await createMember(db, org.id, 'admin');
    const name = `projected:${org.id}`;
    const collab = await h.startServer({ kinds });
    const client = h.connect(collab, name, member.token);
    await client.ready();
    const meta = client.doc.getMap<unknown>('meta');

    let stored = waitForEvent<Stored>(collab.events, 'stored', (e) => e.documentName === name);
    client.doc.transact(() => {
      meta.set('userId', member.user.id);
      meta.set('title', 'first');
    });
    await stored;
    expect(await projectedTitles(name)).toEqual(['first']);
    expect(await storedTitle(name)).toBe('first');

    const failed = waitForEvent<StoreFailed>(collab.events, 'storeFailed', (e) => e.documentName === name && e.final);
    client.doc.transact(() => {
      meta.set('title', 'second');
      meta.set('fail', true);
    });
    expect((await failed).error).toMatchObject({ message: 'projector refused this state' });
    expect(await projectedTitles(name)).toEqual(['first']); // the notification insert was rolled back…
    expect(await storedTitle(name)).toBe('first'); // …and so was the state
    expect(collab.isDirty(name)).toBe(true);

    stored = waitForEvent<Stored>(collab.events, 'stored', (e) => e.documentName === name);
    meta.set('fail', false);
    await stored;
    expect(await projectedTitles(name)).toEqual(['first', 'second']);
    expect(await storedTitle(name)).toBe('second');
    expect(collab.isDirty(name)).toBe(false);
  });

  it('stores a dirty document once more before unloading it', async () => {
    const org = await createOrganization(db);
    const member = await createMember(db, org.id, 'scientist');
    const name = `projected:${org.id}`;
    const collab = await h.startServer({ kinds });
    const client = h.connect(collab, name, member.token);
    await client.ready();

    failing = true; // e.g. the database is briefly unavailable
    const failed = waitForEvent<StoreFailed>(collab.events, 'storeFailed', (e) => e.documentName === name && e.final);
    client.doc.transact(() => {
      client.doc.getMap('meta').set('userId', member.user.id);
      client.doc.getMap('meta').set('title', 'written while failing');
    });
    await failed;
    expect(await storedRow(db, name)).toBeNull();

    failing = false; // recovered while the document sat idle: no new change will trigger a store
    const stored = waitForEvent<Stored>(collab.events, 'stored', (e) => e.documentName === name);
    client.destroy(); // last client leaves, the document unloads
    await stored;
    expect(await storedTitle(name)).toBe('written while failing');
    expect(collab.isDirty(name)).toBe(false);
  });

  it('projector overrides by kind name take precedence', async () => {
    const org = await createOrganization(db);
    const member = await createMember(db, org.id, 'owner');
    const name = `organization:${org.id}`;
    const seen: string[] = [];
    const collab = await h.startServer({
      projectors: {
        organization: async (tx, documentName, ydoc) => {
          // Runs inside the store transaction: the row is already written there.
          const { rows } = await tx.execute<{ n: number }>(
            sql`select count(*)::int as n from collab_documents where name = ${documentName}`
          );
          const [row] = rows;
          seen.push(`${ydoc.getText('notes').toString()}:${row.n}`);
        }
      }
    });
    const client = h.connect(collab, name, member.token);
    await client.ready();
    const stored = waitForEvent<Stored>(collab.events, 'stored', (e) => e.documentName === name);
    client.doc.getText('notes').insert(0, 'projected');
    await stored;
    expect(seen).toEqual(['projected:1']);
  });
});
