/**
 * The board pages' types. The REST shapes (/api/v1/libraries…) are derived from
 * the API's zod schemas in $lib/api/types.ts and re-exported here; the live
 * board itself (lanes, order, tags, notes, comments) is the Yjs document
 * described in common/board.ts. What follows them is the browser's own:
 * presence, views, how molecule data is paged.
 */
export type {
  BoardVersion,
  HistoryEntry,
  LibraryAccess,
  LibraryDetail,
  LibraryMolecule,
  LibraryMoleculeRow,
  LibrarySummary,
  Member,
  MemberAccess,
  OrgRef,
  Person,
  PropertyValue as PropValue,
  Share
} from '$lib/api/types';

/** Who is on the board: the awareness state every client publishes. */
export type PresenceUser = { id: string; name: string; color: string };
export type PresenceState = {
  user: PresenceUser;
  selected: string | null;
  editing: string | null;
  /** Pointer in board-content coordinates (px), null when outside the board. */
  cursor: { x: number; y: number } | null;
};
export type Peer = PresenceState & { clientId: number };
export type PeerMark = { clientId: number; user: PresenceUser; editing: boolean };

export type BoardView = 'board' | 'grid' | 'plot';

/** Cards per request when loading molecule data (the API allows up to 5,000). */
export const MOLECULE_PAGE_SIZE = 5000;

/**
 * One page of the board's molecule data. The board page preloads page 1 (a
 * `<link rel="preload" as="fetch">` in its head, so the request starts while
 * the scripts load) and the session's first request must be the same URL,
 * mode and credentials to be answered from it.
 */
export const moleculePageUrl = (libraryId: string, page: number) =>
  `/api/v1/libraries/${encodeURIComponent(libraryId)}/molecules?page=${page}&page_size=${MOLECULE_PAGE_SIZE}`;
