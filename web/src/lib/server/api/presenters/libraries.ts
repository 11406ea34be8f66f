/** Libraries, shares, cards and board history as the REST API shows them (schemas: ../library-schemas.ts). */
import type { z } from 'zod';
import type { LibraryView, listBoardHistory, listLibraryMolecules, listShares } from '$db/access/libraries';
import type { libraryShares } from '$db/schema';
import type { historyEntry, libraryDetail, libraryMoleculeRow, librarySummary, share, sharedResponse } from '../library-schemas';

type Row<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

export const presentLibrary = ({ library, organization, grant, moleculeCount }: LibraryView): z.output<typeof librarySummary> => ({
  id: library.id,
  name: library.name,
  description: library.description,
  organization,
  member_access: library.memberAccess,
  archived_at: library.archivedAt?.toISOString() ?? null,
  access: grant.access,
  can_manage: grant.canManage,
  shared_with_you: grant.viaPartner,
  molecule_count: moleculeCount,
  created_at: library.createdAt.toISOString(),
  updated_at: library.updatedAt.toISOString()
});

export const presentShare = (s: Row<typeof listShares>[number]): z.output<typeof share> => ({
  id: s.id,
  access: s.access,
  user: s.user,
  organization: s.organization,
  created_at: s.createdAt.toISOString()
});

export const presentLibraryDetail = (l: LibraryView & { lanes: Array<{ id: string; name: string; count: number }>; shares?: Row<typeof listShares> }): z.output<typeof libraryDetail> => ({
  ...presentLibrary(l),
  lanes: l.lanes,
  ...(l.shares ? { shares: l.shares.map(presentShare) } : {})
});

/** POST /libraries/{id}/shares answers with the share as stored. */
export const presentStoredShare = (s: typeof libraryShares.$inferSelect): z.output<typeof sharedResponse>['data'] => ({
  id: s.id,
  access: s.access,
  user_id: s.userId,
  organization_id: s.organizationId
});

export const presentLibraryMolecule = (c: Row<typeof listLibraryMolecules>['data'][number]): z.output<typeof libraryMoleculeRow> => ({
  // The molecule is presented by db/access/molecules.ts `decorateMolecules`, the registry list's presenter (see registry-schemas.ts).
  molecule: { ...c.molecule, created_at: c.molecule.created_at.toISOString() },
  lane_id: c.laneId,
  lane: c.lane,
  position: c.position,
  tags: c.tags,
  added_at: c.addedAt.toISOString()
});

export const presentHistoryEntry = (h: Row<typeof listBoardHistory>[number]): z.output<typeof historyEntry> => ({
  id: h.id,
  at: h.at.toISOString(),
  user: h.user,
  summary: h.summary,
  restored_from: h.restoredFrom
});
