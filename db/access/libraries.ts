/**
 * Libraries: who may see and change them, their metadata, shares, the
 * projected board (membership, lanes, order, tags) and the board history.
 *
 * Access is decided here and only here (`libraryAccess`), for the REST API,
 * the pages and the collab-server alike:
 *  - members of the owning organisation: owners and admins edit and manage;
 *    scientists get the library's `member_access` (default edit), raised by a
 *    personal share; the creator edits and manages; viewers read at most.
 *  - a partner organisation (e.g. a CRO) the library is shared with: its
 *    members get the share's access, viewers read at most.
 *  - anyone else: 404, so library ids cannot be probed.
 *
 * Changes to the board itself (cards, lanes, tags, notes, comments) are not
 * made here: they go through the live document on the collab-server, which
 * projects them into `library_molecules` in the transaction that stores them.
 */
import { and, asc, desc, eq, ilike, inArray, isNotNull, isNull, ne, or, sql } from 'drizzle-orm';
import type * as Y from 'yjs';
import { readBoard, type BoardState } from '../../common/board';
import { AppError, forbidden, notFound } from '../../common/errors';
import type { Actor } from '../auth';
import { recordAudit } from '../audit';
import { inUuids, type DbOrTx } from '../client';
import { documentAt, documentHistory } from './document-history';
import {
  libraries,
  libraryMolecules,
  libraryShares,
  memberships,
  moleculeInputs,
  imports,
  molecules,
  organizations,
  users,
  type Library,
  type LibraryAccess,
  type LibraryMemberAccess,
  type MembershipRole,
  type OrganizationKind
} from '../schema';
import type { ClientInfo } from './accounts';
import { requireActor, requireRole } from './authorize';
import { decorateMolecules, presentedColumns } from './molecules';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const rank = { none: 0, view: 1, edit: 2 } as const;
const max = (a: LibraryMemberAccess, b: LibraryMemberAccess): LibraryMemberAccess => (rank[a] >= rank[b] ? a : b);

export interface LibraryGrant {
  library: Library;
  access: LibraryAccess;
  /** May rename-archive-share (owners/admins of the owning organisation, and the creator). */
  canManage: boolean;
  /** The actor reaches it through a share with their (partner) organisation. */
  viaPartner: boolean;
}

/**
 * Pure rule: what one person gets, from their role in the owning organisation
 * (or null), the library's member access, their personal share, and the share
 * with a partner organisation they belong to (with their role there).
 */
export function effectiveAccess(input: {
  ownerRole: MembershipRole | null;
  isCreator: boolean;
  memberAccess: LibraryMemberAccess;
  userShare: LibraryAccess | null;
  partner: { role: MembershipRole; access: LibraryAccess } | null;
}): { access: LibraryAccess | null; canManage: boolean; viaPartner: boolean } {
  const { ownerRole, partner } = input;
  if (ownerRole) {
    if (ownerRole === 'owner' || ownerRole === 'admin') return { access: 'edit', canManage: true, viaPartner: false };
    let got: LibraryMemberAccess = max(input.memberAccess, input.userShare ?? 'none');
    if (input.isCreator) got = 'edit';
    if (ownerRole === 'viewer' && got === 'edit') got = 'view';
    if (got !== 'none') return { access: got, canManage: input.isCreator && ownerRole !== 'viewer', viaPartner: false };
  }
  if (partner) {
    const got: LibraryAccess = partner.role === 'viewer' ? 'view' : partner.access;
    return { access: got, canManage: false, viaPartner: true };
  }
  return { access: null, canManage: false, viaPartner: false };
}

/** Organisations whose memberships count for this actor: an API token acts only in its own. */
async function actorMemberships(db: DbOrTx, actor: Actor) {
  const rows = await db
    .select({ organizationId: memberships.organizationId, role: memberships.role })
    .from(memberships)
    .where(eq(memberships.userId, actor.user.id));
  return actor.via === 'api_token' ? rows.filter((r) => r.organizationId === actor.organization?.id) : rows;
}

/** What `actor` may do with library `id`; null when nothing (callers answer 404). */
export async function libraryAccess(db: DbOrTx, actor: Actor, id: string): Promise<LibraryGrant | null> {
  if (!UUID.test(id)) return null;
  const [library] = await db.select().from(libraries).where(eq(libraries.id, id));
  if (!library) return null;
  const mine = await actorMemberships(db, actor);
  const ownerRole = mine.find((m) => m.organizationId === library.organizationId)?.role ?? null;
  const shares = await db
    .select({ userId: libraryShares.userId, organizationId: libraryShares.organizationId, access: libraryShares.access })
    .from(libraryShares)
    .where(
      and(
        eq(libraryShares.libraryId, id),
        or(
          eq(libraryShares.userId, actor.user.id),
          mine.length ? inArray(libraryShares.organizationId, mine.map((m) => m.organizationId)) : sql`false`
        )
      )
    );
  const userShare = shares.find((s) => s.userId === actor.user.id)?.access ?? null;
  let partner: { role: MembershipRole; access: LibraryAccess } | null = null;
  for (const s of shares) {
    const m = s.organizationId ? mine.find((x) => x.organizationId === s.organizationId) : undefined;
    if (!m) continue;
    const candidate = { role: m.role, access: s.access };
    const value = (p: typeof candidate) => (p.role === 'viewer' ? 1 : rank[p.access]);
    if (!partner || value(candidate) > value(partner)) partner = candidate;
  }
  const got = effectiveAccess({
    ownerRole,
    isCreator: library.createdBy === actor.user.id,
    memberAccess: library.memberAccess,
    userShare,
    partner
  });
  return got.access ? { library, access: got.access, canManage: got.canManage, viaPartner: got.viaPartner } : null;
}

/** The library with at least `need`; 404 when the actor cannot see it, 403 when they only read. */
export async function requireLibrary(db: DbOrTx, actor: Actor | null | undefined, id: string, need: 'view' | 'edit' | 'manage' = 'view') {
  const a = requireActor(actor);
  const grant = await libraryAccess(db, a, id);
  if (!grant) throw notFound('Library');
  if (need === 'edit' && grant.access !== 'edit') throw forbidden('You can view this library but not change it');
  if (need === 'manage' && !grant.canManage) throw forbidden('Only owners and admins of the organisation, or the library’s creator, can do this');
  return { actor: a, ...grant };
}

// ── Reading ───────────────────────────────────────────────────────────────

async function counts(db: DbOrTx, ids: string[]) {
  if (!ids.length) return new Map<string, number>();
  const rows = await db
    .select({ id: libraryMolecules.libraryId, n: sql<number>`count(*)::int` })
    .from(libraryMolecules)
    .where(inArray(libraryMolecules.libraryId, ids))
    .groupBy(libraryMolecules.libraryId);
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** A library as someone sees it: the row, its organisation, their access, how many cards it has. */
export interface LibraryView {
  library: Library;
  organization: { id: string; name: string; kind: OrganizationKind };
  grant: Pick<LibraryGrant, 'access' | 'canManage' | 'viaPartner'>;
  moleculeCount: number;
}

/** Libraries of the active organisation the actor can see, and libraries shared with it. */
export async function listLibraries(db: DbOrTx, actor: Actor | null | undefined, opts: { archived?: boolean } = {}) {
  const a = requireRole(actor, 'viewer');
  const orgId = a.organization.id;
  const rows = await db
    .select({ library: libraries, org: { id: organizations.id, name: organizations.name, kind: organizations.kind } })
    .from(libraries)
    .innerJoin(organizations, eq(organizations.id, libraries.organizationId))
    .where(
      and(
        or(
          eq(libraries.organizationId, orgId),
          inArray(libraries.id, db.select({ id: libraryShares.libraryId }).from(libraryShares).where(eq(libraryShares.organizationId, orgId)))
        ),
        opts.archived ? undefined : isNull(libraries.archivedAt)
      )
    )
    .orderBy(desc(libraries.updatedAt));
  const out = [];
  const n = await counts(db, rows.map((r) => r.library.id));
  for (const r of rows) {
    const grant = await libraryAccess(db, a, r.library.id);
    if (grant) out.push({ library: r.library, organization: r.org, grant, moleculeCount: n.get(r.library.id) ?? 0 } satisfies LibraryView);
  }
  return out;
}

export async function getLibrary(db: DbOrTx, actor: Actor | null | undefined, id: string) {
  const g = await requireLibrary(db, actor, id);
  const [org] = await db
    .select({ id: organizations.id, name: organizations.name, kind: organizations.kind })
    .from(organizations)
    .where(eq(organizations.id, g.library.organizationId));
  const laneCounts = await db
    .select({ laneId: libraryMolecules.laneId, n: sql<number>`count(*)::int` })
    .from(libraryMolecules)
    .where(eq(libraryMolecules.libraryId, id))
    .groupBy(libraryMolecules.laneId);
  const byLane = new Map(laneCounts.map((l) => [l.laneId, l.n]));
  const total = laneCounts.reduce((s, l) => s + l.n, 0);
  return {
    ...({ library: g.library, organization: org, grant: g, moleculeCount: total } satisfies LibraryView),
    lanes: g.library.boardLanes.map((l) => ({ id: l.id, name: l.name, count: byLane.get(l.id) ?? 0 })),
    ...(g.canManage ? { shares: await listShares(db, actor, id) } : {})
  };
}

/** The board's molecules in board order, with lane, position and tags (the projection). */
export async function listLibraryMolecules(
  db: DbOrTx,
  actor: Actor | null | undefined,
  id: string,
  page: { page: number; pageSize: number },
  filter: { laneId?: string | null } = {}
) {
  const g = await requireLibrary(db, actor, id);
  const where = and(eq(libraryMolecules.libraryId, id), filter.laneId ? eq(libraryMolecules.laneId, filter.laneId) : undefined);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(libraryMolecules).where(where);
  // Two plain steps rather than one join: the page of cards, then their molecules by primary
  // key. Right after a big import the planner's statistics still say "tiny tables", and the
  // join was planned as a nested loop over the organisation index (5 s for 5,000 cards).
  const cards = await db
    .select()
    .from(libraryMolecules)
    .where(where)
    .orderBy(asc(libraryMolecules.laneOrder), asc(libraryMolecules.position), asc(libraryMolecules.moleculeId))
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
  const found = cards.length
    ? await db
        .select(presentedColumns)
        .from(molecules)
        .where(and(inUuids(molecules.id, cards.map((c) => c.moleculeId)), eq(molecules.organizationId, g.library.organizationId)))
    : [];
  const byId = new Map(found.map((m) => [m.id, m]));
  const rows = cards.filter((c) => byId.has(c.moleculeId)).map((lm) => ({ lm, m: byId.get(lm.moleculeId)! }));
  const decorated = await decorateMolecules(db, rows.map((r) => r.m));
  return {
    data: rows.map((r, i) => ({
      molecule: decorated[i],
      laneId: r.lm.laneId,
      lane: r.lm.lane,
      position: r.lm.position,
      tags: r.lm.tags,
      addedAt: r.lm.addedAt
    })),
    total
  };
}

/** Is molecule `moleculeId` on a board the actor can see? (Partners see pictures of shared molecules.) */
export async function moleculeVisibleThroughLibrary(db: DbOrTx, actor: Actor, moleculeId: string): Promise<boolean> {
  if (!UUID.test(moleculeId)) return false;
  const rows = await db.select({ libraryId: libraryMolecules.libraryId }).from(libraryMolecules).where(eq(libraryMolecules.moleculeId, moleculeId)).limit(50);
  for (const r of rows) if (await libraryAccess(db, actor, r.libraryId)) return true;
  return false;
}

/** Libraries (visible to the actor) a molecule is on, for the molecule page. */
export async function librariesOfMolecule(db: DbOrTx, actor: Actor, moleculeId: string) {
  const rows = await db
    .select({ id: libraries.id, name: libraries.name, lane: libraryMolecules.lane })
    .from(libraryMolecules)
    .innerJoin(libraries, eq(libraries.id, libraryMolecules.libraryId))
    .where(eq(libraryMolecules.moleculeId, moleculeId));
  const out = [];
  for (const r of rows) if (await libraryAccess(db, actor, r.id)) out.push(r);
  return out;
}

/** Everyone who can see the library (for @mentions), by name. */
export async function libraryPeople(db: DbOrTx, actor: Actor | null | undefined, id: string) {
  const g = await requireLibrary(db, actor, id);
  const partnerOrgs = await db
    .select({ organizationId: libraryShares.organizationId })
    .from(libraryShares)
    .where(and(eq(libraryShares.libraryId, id), isNotNull(libraryShares.organizationId)));
  const orgIds = [g.library.organizationId, ...partnerOrgs.map((p) => p.organizationId!)];
  const candidates = await db
    .selectDistinct({ id: users.id, name: users.name, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(inArray(memberships.organizationId, orgIds))
    .orderBy(asc(users.name));
  const out: Array<{ id: string; name: string }> = [];
  for (const c of candidates) {
    const grant = await libraryAccess(db, { user: c, organization: null, role: null, via: 'session', credentialId: '' }, id);
    if (grant) out.push({ id: c.id, name: c.name });
  }
  return out;
}

/** Other organisations, by name, to share a library with (e.g. a CRO partner). */
export async function organizationDirectory(db: DbOrTx, actor: Actor | null | undefined, q: string | null) {
  const a = requireRole(actor, 'viewer');
  const text = (q ?? '').trim().slice(0, 100);
  return db
    .select({ id: organizations.id, name: organizations.name, kind: organizations.kind })
    .from(organizations)
    .where(and(ne(organizations.id, a.organization.id), text ? ilike(organizations.name, `%${text.replace(/[\\%_]/g, (c) => '\\' + c)}%`) : undefined))
    .orderBy(asc(organizations.name))
    .limit(20);
}

// ── Changing metadata and shares ──────────────────────────────────────────

export async function createLibrary(
  db: DbOrTx,
  actor: Actor | null | undefined,
  input: { name: string; description?: string | null; memberAccess?: LibraryMemberAccess },
  client: ClientInfo
) {
  const a = requireRole(actor, 'scientist');
  const [library] = await db
    .insert(libraries)
    .values({
      organizationId: a.organization.id,
      name: input.name,
      description: input.description ?? '',
      memberAccess: input.memberAccess ?? 'edit',
      createdBy: a.user.id
    })
    .returning();
  await recordAudit(db, {
    organizationId: a.organization.id,
    actorUserId: a.user.id,
    action: 'library.created',
    entityType: 'library',
    entityId: library.id,
    after: { name: library.name, description: library.description, memberAccess: library.memberAccess },
    client
  });
  return { library, organization: a.organization, grant: { access: 'edit', canManage: true, viaPartner: false }, moleculeCount: 0 } satisfies LibraryView;
}

export async function updateLibrary(
  db: DbOrTx,
  actor: Actor | null | undefined,
  id: string,
  patch: { name?: string; description?: string; archived?: boolean; memberAccess?: LibraryMemberAccess },
  client: ClientInfo
) {
  const needsManage = patch.archived !== undefined || patch.memberAccess !== undefined;
  const g = await requireLibrary(db, actor, id, needsManage ? 'manage' : 'edit');
  const set: Partial<typeof libraries.$inferInsert> = { updatedAt: new Date() };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.memberAccess !== undefined) set.memberAccess = patch.memberAccess;
  if (patch.archived !== undefined) set.archivedAt = patch.archived ? (g.library.archivedAt ?? new Date()) : null;
  const [after] = await db.update(libraries).set(set).where(eq(libraries.id, id)).returning();
  const pick = (l: Library) => ({ name: l.name, description: l.description, memberAccess: l.memberAccess, archived: l.archivedAt !== null });
  await recordAudit(db, {
    organizationId: g.library.organizationId,
    actorUserId: g.actor.user.id,
    action: patch.archived === true ? 'library.archived' : patch.archived === false ? 'library.unarchived' : 'library.updated',
    entityType: 'library',
    entityId: id,
    before: pick(g.library),
    after: pick(after),
    client
  });
  return getLibrary(db, actor, id);
}

export async function listShares(db: DbOrTx, actor: Actor | null | undefined, id: string) {
  await requireLibrary(db, actor, id, 'manage');
  const rows = await db
    .select({
      id: libraryShares.id,
      access: libraryShares.access,
      userId: users.id,
      userName: users.name,
      userEmail: users.email,
      orgId: organizations.id,
      orgName: organizations.name,
      orgKind: organizations.kind,
      createdAt: libraryShares.createdAt
    })
    .from(libraryShares)
    .leftJoin(users, eq(users.id, libraryShares.userId))
    .leftJoin(organizations, eq(organizations.id, libraryShares.organizationId))
    .where(eq(libraryShares.libraryId, id))
    .orderBy(asc(libraryShares.createdAt));
  return rows.map((r) => ({
    id: r.id,
    access: r.access,
    user: r.userId ? { id: r.userId, name: r.userName!, email: r.userEmail! } : null,
    organization: r.orgId ? { id: r.orgId, name: r.orgName!, kind: r.orgKind! } : null,
    createdAt: r.createdAt
  }));
}

export async function shareLibrary(
  db: DbOrTx,
  actor: Actor | null | undefined,
  id: string,
  input: { userId?: string | null; organizationId?: string | null; access: LibraryAccess },
  client: ClientInfo
) {
  const g = await requireLibrary(db, actor, id, 'manage');
  const { userId, organizationId, access } = input;
  if (!!userId === !!organizationId) {
    throw new AppError('VALIDATION_ERROR', 'Share with either one member (user_id) or one organisation (organization_id)', [
      { field: 'user_id', message: 'give user_id or organization_id, not both' }
    ]);
  }
  if (userId) {
    const [m] = UUID.test(userId)
      ? await db
          .select({ userId: memberships.userId })
          .from(memberships)
          .where(and(eq(memberships.userId, userId), eq(memberships.organizationId, g.library.organizationId)))
      : [];
    if (!m) throw new AppError('VALIDATION_ERROR', 'That person is not a member of this organisation', [{ field: 'user_id', message: 'not a member' }]);
  } else {
    const [o] = UUID.test(organizationId!) ? await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, organizationId!)) : [];
    if (!o) throw new AppError('VALIDATION_ERROR', 'No such organisation', [{ field: 'organization_id', message: 'not found' }]);
    if (o.id === g.library.organizationId) {
      throw new AppError('VALIDATION_ERROR', 'Members of the owning organisation get access through member access or a personal share', [
        { field: 'organization_id', message: 'is the owning organisation' }
      ]);
    }
  }
  const existing = await db
    .select()
    .from(libraryShares)
    .where(and(eq(libraryShares.libraryId, id), userId ? eq(libraryShares.userId, userId) : eq(libraryShares.organizationId, organizationId!)));
  const [share] = existing.length
    ? await db.update(libraryShares).set({ access }).where(eq(libraryShares.id, existing[0].id)).returning()
    : await db
        .insert(libraryShares)
        .values({ libraryId: id, userId: userId ?? null, organizationId: organizationId ?? null, access, createdBy: g.actor.user.id })
        .returning();
  await recordAudit(db, {
    organizationId: g.library.organizationId,
    actorUserId: g.actor.user.id,
    action: 'library.shared',
    entityType: 'library',
    entityId: id,
    before: existing[0] ? { access: existing[0].access } : null,
    after: { userId: share.userId, organizationId: share.organizationId, access: share.access },
    client
  });
  return share;
}

export async function unshareLibrary(db: DbOrTx, actor: Actor | null | undefined, id: string, shareId: string, client: ClientInfo) {
  const g = await requireLibrary(db, actor, id, 'manage');
  if (!UUID.test(shareId)) throw notFound('Share');
  const [gone] = await db.delete(libraryShares).where(and(eq(libraryShares.id, shareId), eq(libraryShares.libraryId, id))).returning();
  if (!gone) throw notFound('Share');
  await recordAudit(db, {
    organizationId: g.library.organizationId,
    actorUserId: g.actor.user.id,
    action: 'library.unshared',
    entityType: 'library',
    entityId: id,
    before: { userId: gone.userId, organizationId: gone.organizationId, access: gone.access },
    client
  });
}

/** Molecule ids of the library's organisation (for adding cards): unknown or foreign ids are a 400 naming them. */
export async function moleculesOfLibraryOrganization(db: DbOrTx, library: Library, ids: string[]) {
  const valid = ids.filter((x) => UUID.test(x));
  const found = valid.length
    ? await db
        .select({ id: molecules.id })
        .from(molecules)
        .where(and(eq(molecules.organizationId, library.organizationId), inArray(molecules.id, valid)))
    : [];
  const have = new Set(found.map((f) => f.id));
  const missing = ids.filter((x) => !have.has(x));
  if (missing.length) {
    throw new AppError('VALIDATION_ERROR', `${missing.length} molecule id(s) are not in the library's organisation`, [
      { field: 'molecule_ids', message: `unknown: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}` }
    ]);
  }
  return [...have];
}

/** Every molecule an import registered or matched (its rows that became molecules), for "add this import". */
export async function moleculesOfImport(db: DbOrTx, library: Library, importId: string) {
  if (!UUID.test(importId)) throw notFound('Import');
  const [imp] = await db
    .select({ id: imports.id })
    .from(imports)
    .where(and(eq(imports.id, importId), eq(imports.organizationId, library.organizationId)));
  if (!imp) throw notFound('Import');
  const rows = await db
    .selectDistinct({ id: moleculeInputs.moleculeId })
    .from(moleculeInputs)
    .where(and(eq(moleculeInputs.importId, importId), eq(moleculeInputs.organizationId, library.organizationId)));
  return rows.map((r) => r.id);
}

// ── History ───────────────────────────────────────────────────────────────

/** The live document of a library's board (collab-server/kinds/library). */
const boardDocument = (libraryId: string) => `library:${libraryId}`;

export async function listBoardHistory(db: DbOrTx, actor: Actor | null | undefined, id: string, opts: { before?: number | null; limit: number }) {
  await requireLibrary(db, actor, id);
  const rows = await documentHistory(db, boardDocument(id), opts);
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    user: r.userId ? { id: r.userId, name: r.userName! } : null,
    summary: r.summary as Array<{ text: string; kind: string; moleculeId?: string }>,
    restoredFrom: r.restoredFrom
  }));
}

/**
 * The board document as it was right after change `changeId` (nearest
 * snapshot, then the updates after it: document-history.ts `documentAt`).
 */
export function boardDocAt(db: DbOrTx, libraryId: string, changeId: number): Promise<Y.Doc | null> {
  return documentAt(db, boardDocument(libraryId), changeId);
}

export async function boardVersion(db: DbOrTx, actor: Actor | null | undefined, id: string, changeId: number): Promise<BoardState> {
  await requireLibrary(db, actor, id);
  const doc = await boardDocAt(db, id, changeId);
  if (!doc) throw notFound('Change');
  try {
    return readBoard(doc);
  } finally {
    doc.destroy();
  }
}
