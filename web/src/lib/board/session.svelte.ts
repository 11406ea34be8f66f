/**
 * One open library board in the browser: a live-document session on
 * `library:<id>` (lib/live/session.svelte.ts: provider, presence, undo of this
 * person's own changes, the server's notices) composed with the board's card
 * index (card-index.ts) and the molecule cache (molecule-cache.ts), plus the
 * reactive state the board, grid and plot views read.
 *
 * Views depend on small version counters (`rev`, `metaRev`, `molRev`,
 * `marksRev`) and look cards up by id, so a $derived per visible card re-runs
 * cheaply and yields the same object when nothing changed (the index keeps
 * cards immutable and untouched lanes' arrays as they were).
 *
 * Every change goes through common/board.ts with `this.origin`, which is the
 * only origin the undo manager tracks: undo never touches other people's work.
 */
import { SvelteSet } from 'svelte/reactivity';
import type * as Y from 'yjs';
import {
  addComment,
  addLane,
  cardsMap,
  commentsMap,
  lanesMap,
  moveCard,
  moveLane,
  noteFragment,
  notesMap,
  readComments,
  removeCards,
  removeLane,
  renameLane,
  setTag,
  type Card,
  type Comment,
  type Lane
} from '$common/board';
import { api } from '$lib/api/client';
import type { ConnectionState } from '$lib/live/connection';
import { LiveDocumentSession } from '$lib/live/session.svelte';
import { CardIndex, type IndexChange } from './card-index';
import { MoleculeCache } from './molecule-cache';
import type { LibraryMolecule, Peer, PeerMark, Person, PresenceState, PresenceUser } from './types';

export type { ConnectionState } from '$lib/live/connection';
export { collabUrl } from '$lib/live/session.svelte';

export interface SessionOptions {
  libraryId: string;
  /** ws(s):// URL of the collab-server. */
  url: string;
  user: { id: string; name: string };
  /** View access: nothing is sent (the server would drop it anyway) and nothing can be changed. */
  readOnly: boolean;
  /** The library belongs to the active organisation, so GET /molecules?ids= can fill in new cards quickly. */
  sameOrganization: boolean;
  /** Credential and WebSocket for use outside a browser (tests); the page uses the session cookie. */
  token?: string;
  WebSocketPolyfill?: unknown;
}

/** What the board adds to presence: the card someone has open or is editing, and their pointer. */
type BoardPresence = Omit<PresenceState, 'user'>;

/** Another client's board fields, trusting nothing about their shape. */
function readBoardPresence(s: Record<string, unknown>): BoardPresence {
  const c = s.cursor as { x?: unknown; y?: unknown } | null | undefined;
  return {
    selected: typeof s.selected === 'string' ? s.selected : null,
    editing: typeof s.editing === 'string' ? s.editing : null,
    cursor: c && typeof c.x === 'number' && typeof c.y === 'number' ? { x: c.x, y: c.y } : null
  };
}

export class BoardSession {
  readonly libraryId: string;
  readonly live: LiveDocumentSession<BoardPresence>;
  readonly index: CardIndex;
  readonly #molecules: MoleculeCache;

  // ── Reactive state ─────────────────────────────────────────────────────
  lanes = $state.raw<Lane[]>([]);
  /** Card ids per lane id, in board order. Untouched lanes keep their array. */
  laneCards = $state.raw<Record<string, string[]>>({});
  /** Bumped when any card's lane, position or tags change. */
  rev = $state(0);
  /** Bumped when comments or notes change. */
  metaRev = $state(0);
  /** Bumped when molecule data arrives. */
  molRev = $state(0);
  /** Bumped when someone selects or edits another card. */
  marksRev = $state(0);
  moleculesLoaded = $state(false);
  moleculeError = $state<string | null>(null);
  /** Everyone who can see the library (for @mentions); loaded on first use. */
  people = $state.raw<Person[]>([]);
  #peopleLoading: Promise<void> | null = null;

  /** Cards picked in the board, grid or plot (shared between the views). */
  readonly selection = new SvelteSet<string>();
  /** The card whose side panel is open. */
  openId = $state<string | null>(null);

  #marks = new Map<string, PeerMark[]>();
  #marksKey = '';

  constructor(opts: SessionOptions) {
    this.libraryId = opts.libraryId;
    this.live = new LiveDocumentSession<BoardPresence>({
      name: `library:${opts.libraryId}`,
      url: opts.url,
      user: opts.user,
      readOnly: opts.readOnly,
      token: opts.token,
      WebSocketPolyfill: opts.WebSocketPolyfill,
      // Notes have their own undo in the editor; undo here is moves, tags, lanes and comments.
      undoScope: (doc) => [lanesMap(doc), cardsMap(doc), commentsMap(doc)],
      presence: { initial: { selected: null, editing: null, cursor: null }, read: readBoardPresence },
      // Until the first sync the board is not shown and the index does not follow the document.
      onLoaded: () => this.#applied(this.index.follow((change) => this.#applied(change))),
      onPeers: (peers) => this.#readMarks(peers)
    });
    this.index = new CardIndex(this.live.doc);
    this.#molecules = new MoleculeCache({
      libraryId: opts.libraryId,
      sameOrganization: opts.sameOrganization,
      cards: this.index,
      onChange: (what) => {
        if (what === 'data') this.molRev++;
        this.moleculesLoaded = this.#molecules.loaded;
        this.moleculeError = this.#molecules.error;
      }
    });
    void this.loadMolecules();
  }

  // ── The live document (lib/live) ───────────────────────────────────────

  get doc(): Y.Doc {
    return this.live.doc;
  }
  get origin(): object {
    return this.live.origin;
  }
  get provider() {
    return this.live.provider;
  }
  get undoManager(): Y.UndoManager {
    return this.live.undo.manager;
  }
  get awareness() {
    return this.live.awareness;
  }
  get me(): PresenceUser {
    return this.live.me;
  }
  get readOnly(): boolean {
    return this.live.readOnly;
  }
  get status() {
    return this.live.status;
  }
  get synced(): boolean {
    return this.live.synced;
  }
  /** The first sync happened (the board shows from then on, also while offline). */
  get loaded(): boolean {
    return this.live.loaded;
  }
  get unsynced(): number {
    return this.live.unsynced;
  }
  get refused(): string | null {
    return this.live.refused;
  }
  get scope(): string | null {
    return this.live.scope;
  }
  /** The server lowered (`read`) or ended (`none`) this connection's access while open, with its message. */
  get accessChange() {
    return this.live.accessChange;
  }
  /** Bumped when the collab-server says the board is stored (its history rows are committed). */
  get stored(): number {
    return this.live.stored;
  }
  get peers(): Peer[] {
    return this.live.peers;
  }
  get canUndo(): boolean {
    return this.live.undo.canUndo;
  }
  get canRedo(): boolean {
    return this.live.undo.canRedo;
  }
  get connection(): ConnectionState {
    return this.live.connection;
  }
  /** True when this person may change the board (view access, or the server said read-only: no). */
  get canEdit(): boolean {
    return this.live.canEdit;
  }

  // ── Reading ────────────────────────────────────────────────────────────

  // Each reader touches the counter it depends on, so $derived/$effect callers re-run when it moves.

  /** The molecule data loaded so far, by molecule id. */
  get molecules(): Map<string, LibraryMolecule> {
    return this.#molecules.molecules;
  }
  card(id: string): Card | undefined {
    void this.rev;
    return this.index.card(id);
  }
  molecule(id: string): LibraryMolecule | undefined {
    void this.molRev;
    return this.#molecules.get(id);
  }
  commentCount(id: string): number {
    void this.metaRev;
    return this.index.commentCount(id);
  }
  hasNote(id: string): boolean {
    void this.metaRev;
    return this.index.hasNote(id);
  }
  marks(id: string): PeerMark[] | undefined {
    void this.marksRev;
    return this.#marks.get(id);
  }
  /** The note's rich-text fragment, if the card has one yet. */
  note(id: string): Y.XmlFragment | undefined {
    void this.metaRev;
    return notesMap(this.doc).get(id);
  }
  comments(id: string): Comment[] {
    void this.metaRev;
    return readComments(this.doc, id);
  }
  get cardCount(): number {
    void this.rev;
    return this.index.size;
  }
  /** Every card id in board order (lane by lane). */
  allIds(): string[] {
    return this.lanes.flatMap((l) => this.laneCards[l.id] ?? []);
  }
  /** The lane a card shows in (its own, or the first lane when its lane was removed). */
  laneOf(id: string): string | null {
    void this.rev;
    return this.index.laneOf(id);
  }
  /** Tags used anywhere on the board, most used first. */
  allTags(): string[] {
    void this.rev;
    return this.index.allTags();
  }
  label(id: string): string {
    void this.molRev;
    return this.#molecules.get(id)?.registry_number ?? 'this molecule';
  }

  /** What the index reports becomes the views' state and counters. */
  #applied(change: IndexChange) {
    if (change.lanes) this.lanes = this.index.lanes;
    if (change.laneCards) this.laneCards = this.index.laneCards;
    for (const id of change.removed) {
      this.selection.delete(id);
      if (this.openId === id) this.open(null);
    }
    if (change.cards) this.rev++;
    if (change.meta) this.metaRev++;
    this.#molecules.want(change.added);
  }

  /** Card outlines change far less often than cursors: only bump when they do. */
  #readMarks(peers: Peer[]) {
    const marks = new Map<string, PeerMark[]>();
    for (const p of peers) {
      const on = p.editing ?? p.selected;
      if (!on) continue;
      const list = marks.get(on) ?? [];
      list.push({ clientId: p.clientId, user: p.user, editing: p.editing === on });
      marks.set(on, list);
    }
    const key = [...marks].map(([id, l]) => id + ':' + l.map((m) => `${m.clientId}${m.editing ? 'e' : 's'}${m.user.color}`).join(',')).join('|');
    if (key !== this.#marksKey) {
      this.#marksKey = key;
      this.#marks = marks;
      this.marksRev++;
    }
  }

  // ── Presence ───────────────────────────────────────────────────────────

  open(id: string | null) {
    this.openId = id;
    this.live.presence.set({ selected: id });
  }

  setEditing(id: string | null) {
    this.live.presence.set({ editing: id });
  }

  /** Pointer position in board-content coordinates; sent at most every 50 ms. */
  setCursor(pos: { x: number; y: number } | null) {
    this.live.presence.setThrottled({ cursor: pos ? { x: Math.round(pos.x), y: Math.round(pos.y) } : null }, 50);
  }

  // ── Changes (all through common/board.ts, with this.origin) ────────────

  /** Drops `id` into `laneId` at `index` (counted without the card itself). */
  dropAt(id: string, laneId: string, index: number): boolean {
    if (!this.canEdit) return false;
    const ids = (this.laneCards[laneId] ?? []).filter((x) => x !== id);
    const i = Math.max(0, Math.min(index, ids.length));
    const afterId = ids[i - 1] ?? null;
    const beforeId = ids[i] ?? null;
    if (this.laneOf(id) === laneId) {
      const now = this.laneCards[laneId] ?? [];
      const at = now.indexOf(id);
      if (at >= 0 && (now[at - 1] ?? null) === afterId && (now[at + 1] ?? null) === beforeId) return false;
    }
    return moveCard(this.doc, id, laneId, afterId ? { afterId } : beforeId ? { beforeId } : {}, this.origin);
  }

  moveToLane(id: string, laneId: string): boolean {
    if (!this.canEdit || this.laneOf(id) === laneId) return false;
    return moveCard(this.doc, id, laneId, {}, this.origin);
  }

  /** One step up (-1) or down (+1) in its lane. */
  moveBy(id: string, delta: -1 | 1): boolean {
    const laneId = this.laneOf(id);
    if (!this.canEdit || !laneId) return false;
    const ids = this.laneCards[laneId] ?? [];
    const i = ids.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return false;
    return moveCard(this.doc, id, laneId, delta < 0 ? { beforeId: ids[j] } : { afterId: ids[j] }, this.origin);
  }

  moveToEdge(id: string, edge: 'top' | 'bottom'): boolean {
    const laneId = this.laneOf(id);
    if (!this.canEdit || !laneId) return false;
    const ids = (this.laneCards[laneId] ?? []).filter((x) => x !== id);
    if (!ids.length) return false;
    return moveCard(this.doc, id, laneId, edge === 'top' ? { beforeId: ids[0] } : { afterId: ids.at(-1) }, this.origin);
  }

  /** Several cards to the end of a lane, as one change (one undo step). */
  moveManyToLane(ids: string[], laneId: string) {
    if (!this.canEdit) return;
    const order = new Map(this.allIds().map((id, i) => [id, i]));
    const sorted = ids.filter((id) => this.laneOf(id) !== laneId).sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    if (!sorted.length) return;
    this.live.transact(() => {
      for (const id of sorted) moveCard(this.doc, id, laneId, {}, this.origin);
    });
  }

  setTag(id: string, tag: string, on: boolean): boolean {
    if (!this.canEdit) return false;
    return setTag(this.doc, id, tag, on, this.origin);
  }

  tagMany(ids: string[], tag: string) {
    if (!ids.length) return;
    this.live.transact(() => {
      for (const id of ids) setTag(this.doc, id, tag, true, this.origin);
    });
  }

  comment(id: string, text: string): Comment | null {
    if (!this.canEdit) return null;
    return addComment(this.doc, id, { id: crypto.randomUUID(), authorId: this.me.id, authorName: this.me.name, text }, this.origin);
  }

  /** Creates the card's note on first use (only editors: a viewer's would be dropped by the server and shadow the real one). */
  createNote(id: string): Y.XmlFragment | null {
    if (!this.canEdit || !cardsMap(this.doc).has(id)) return null;
    return noteFragment(this.doc, id, this.origin);
  }

  removeCards(ids: string[]): string[] {
    if (!this.canEdit) return [];
    return removeCards(this.doc, ids, this.origin);
  }

  addLane(name: string): string | null {
    if (!this.canEdit) return null;
    const id = 'lane-' + crypto.randomUUID().slice(0, 8);
    return addLane(this.doc, { id, name }, this.origin) ? id : null;
  }
  renameLane(laneId: string, name: string): boolean {
    return this.canEdit && renameLane(this.doc, laneId, name, this.origin);
  }
  removeLane(laneId: string, intoLaneId?: string): boolean {
    return this.canEdit && removeLane(this.doc, laneId, intoLaneId, this.origin);
  }
  /** Moves a lane one place left (-1) or right (+1). */
  shiftLane(laneId: string, delta: -1 | 1): boolean {
    if (!this.canEdit) return false;
    const ids = this.lanes.map((l) => l.id);
    const i = ids.indexOf(laneId);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return false;
    // Its place among the other lanes is j: between rest[j - 1] and rest[j].
    const rest = ids.filter((x) => x !== laneId);
    return moveLane(this.doc, laneId, rest[j - 1] ?? null, rest[j] ?? null, this.origin);
  }

  undo() {
    this.live.undoChange();
  }
  redo() {
    this.live.redoChange();
  }

  // ── REST data ──────────────────────────────────────────────────────────

  /** (Re)loads the board's molecule data; `moleculeError` says why when it fails. */
  loadMolecules(): Promise<void> {
    return this.#molecules.load();
  }

  loadPeople(): Promise<void> {
    this.#peopleLoading ??= api<Person[]>(fetch, `/api/v1/libraries/${encodeURIComponent(this.libraryId)}/people`).then(
      (res) => {
        this.people = res.data;
      },
      () => {
        this.#peopleLoading = null; // try again next time
      }
    );
    return this.#peopleLoading;
  }

  destroy() {
    this.#molecules.destroy();
    this.index.stop();
    this.live.destroy();
  }
}
