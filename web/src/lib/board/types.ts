/**
 * Shapes of the libraries REST API (/api/v1/libraries…) as the board pages use
 * them. The live board itself (lanes, order, tags, notes, comments) is the Yjs
 * document described in common/board.ts; these are the metadata and the
 * molecule data the document only refers to by id.
 */
import type { BoardState } from '$common/board';

export type LibraryAccess = 'view' | 'edit';
export type MemberAccess = 'none' | 'view' | 'edit';
export type OrgRef = { id: string; name: string; kind: string };

/** One row of GET /libraries. */
export type LibrarySummary = {
  id: string;
  name: string;
  description: string | null;
  organization: OrgRef;
  archived_at: string | null;
  access: LibraryAccess;
  can_manage: boolean;
  member_access: MemberAccess;
  /** Reached through a share with your (partner) organisation. */
  shared_with_you?: boolean;
  molecule_count: number;
  created_at?: string;
  updated_at: string;
};

export type Share = {
  id: string;
  access: LibraryAccess;
  user?: { id: string; name: string; email: string } | null;
  organization?: OrgRef | null;
  created_at?: string;
};

/** GET /libraries/:id */
export type LibraryDetail = LibrarySummary & {
  lanes: { id: string; name: string; count: number }[];
  shares?: Share[];
};

/** A property value as the API sends it (older drafts of the contract said num/text). */
export type PropValue = { value?: number | null; value_text?: string | null; num?: number | null; text?: string | null; unit: string | null };

export type LibraryMolecule = {
  id: string;
  registry_number: string;
  name: string | null;
  canonical_smiles: string;
  formula?: string;
  average_mw: number | null;
  exact_mass: number | null;
  clogp: number | null;
  tpsa: number | null;
  hbd: number | null;
  hba: number | null;
  rotatable_bonds: number | null;
  heavy_atoms: number | null;
  aromatic_rings: number | null;
  fraction_csp3: number | null;
  descriptors_pending?: boolean;
  properties: Record<string, PropValue>;
  identifiers?: { label: string; value: string }[];
};

/** One row of GET /libraries/:id/molecules. */
export type LibraryMoleculeRow = {
  molecule: LibraryMolecule;
  lane_id: string;
  lane: string;
  position: number;
  tags: string[];
  added_at: string;
};

export type Person = { id: string; name: string };

export type HistoryEntry = {
  id: number;
  at: string;
  user: Person | null;
  summary: { text: string; kind: string; moleculeId?: string }[];
  restored_from: number | null;
};

export type BoardVersion = { change_id?: number; board: BoardState };

export type Member = { user: { id: string; name: string; email: string }; role: string };

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
