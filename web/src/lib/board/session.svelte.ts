/**
 * One open library board in the browser: the Y.Doc, its Hocuspocus provider
 * (`library:<id>`, authenticated by the session cookie), an undo manager for
 * this person's own changes, presence (awareness), and reactive state the
 * board, grid and plot views read.
 *
 * Staying fast at 5,000 cards:
 *  - the document is observed deeply and only the cards an update touched are
 *    re-read; a lane's order is re-sorted only when one of its cards moved in
 *    or out or changed position;
 *  - cards are immutable objects replaced when they change, kept in plain
 *    Maps; views depend on small version counters (`rev`, `metaRev`,
 *    `molRev`, `marksRev`) and look cards up by id, so a $derived per visible
 *    card re-runs cheaply and yields the same object when nothing changed;
 *  - per-lane id arrays keep their identity when untouched, so lanes that did
 *    not change do not re-render.
 *
 * Every change goes through common/board.ts with `this.origin`, which is the
 * only origin the undo manager tracks: undo never touches other people's work.
 */
import { HocuspocusProvider } from '@hocuspocus/provider';
import { SvelteSet } from 'svelte/reactivity';
import * as Y from 'yjs';
import {
  addComment,
  addLane,
  cardOf,
  cardsMap,
  commentsMap,
  lanesMap,
  moveCard,
  moveLane,
  noteFragment,
  noteText,
  notesMap,
  readComments,
  readLanes,
  removeCards,
  removeLane,
  renameLane,
  setTag,
  type Card,
  type Comment,
  type Lane
} from '$common/board';
import { parseCollabNotice } from '$common/collab-notices';
import { api } from '$lib/components/registry/api';
import { userColor } from './colors';
import { MOLECULE_PAGE_SIZE, moleculePageUrl, type LibraryMolecule, type LibraryMoleculeRow, type Peer, type PeerMark, type Person, type PresenceState, type PresenceUser } from './types';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface SessionOptions {
  libraryId: string;
  /** ws(s):// URL of the collab-server. */
  url: string;
  user: { id: string; name: string };
  /** View access: nothing is sent (the server would drop it anyway) and nothing can be changed. */
  readOnly: boolean;
  /** The library belongs to the active organisation, so GET /molecules?ids= can fill in new cards quickly. */
  sameOrganization: boolean;
}

/** More changed keys than this in one update: re-read everything (initial sync, restores). */
const FULL_REBUILD_AT = 400;

const byPosThenId = (a: Card, b: Card) =>
  a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : a.moleculeId < b.moleculeId ? -1 : a.moleculeId > b.moleculeId ? 1 : 0;
const sameTags = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);
const sameCard = (a: Card, b: Card) => a.lane === b.lane && a.pos === b.pos && sameTags(a.tags, b.tags) && a.addedBy === b.addedBy && a.addedAt === b.addedAt;

function changedKeys(events: Y.YEvent<Y.AbstractType<unknown>>[], root: Y.AbstractType<unknown>): { keys: Set<string>; all: boolean } {
  const keys = new Set<string>();
  for (const e of events) {
    if (e.target === root) for (const k of (e as Y.YMapEvent<unknown>).keysChanged) keys.add(k);
    else if (typeof e.path[0] === 'string') keys.add(e.path[0]);
    else return { keys, all: true };
  }
  return { keys, all: false };
}

export class BoardSession {
  readonly libraryId: string;
  readonly doc = new Y.Doc();
  /** The origin of this person's changes (the undo manager tracks only it). */
  readonly origin = { board: 'local' };
  readonly provider: HocuspocusProvider;
  readonly undoManager: Y.UndoManager;
  readonly me: PresenceUser;
  readonly readOnly: boolean;

  // ── Reactive state ─────────────────────────────────────────────────────
  status = $state<'connecting' | 'connected' | 'disconnected'>('connecting');
  synced = $state(false);
  /** The first sync happened (the board shows from then on, also while offline). */
  loaded = $state(false);
  /** Local changes the server has not acknowledged yet. */
  unsynced = $state(0);
  refused = $state<string | null>(null);
  /** Scope the server granted: 'read-write' or 'readonly' (also set when access is lowered while open). */
  scope = $state<string | null>(null);
  /**
   * The collab-server changed this connection's access while it was open
   * (common/collab-notices.ts `access`), with its message for the page:
   * `none`, the board is closed (signed out, access removed); `read`, it is
   * read-only from then on.
   */
  accessChange = $state<{ access: 'read' | 'none'; message: string } | null>(null);

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
  /** Bumped when the collab-server says the board is stored (its history rows are committed). */
  stored = $state(0);
  peers = $state.raw<Peer[]>([]);
  canUndo = $state(false);
  canRedo = $state(false);
  moleculesLoaded = $state(false);
  /** Everyone who can see the library (for @mentions); loaded on first use. */
  people = $state.raw<Person[]>([]);
  #peopleLoading: Promise<void> | null = null;
  moleculeError = $state<string | null>(null);

  /** Cards picked in the board, grid or plot (shared between the views). */
  readonly selection = new SvelteSet<string>();
  /** The card whose side panel is open. */
  openId = $state<string | null>(null);

  // ── Plain state (read through the counters above) ─────────────────────
  readonly #cards = new Map<string, Card>();
  readonly #commentCounts = new Map<string, number>();
  readonly #notes = new Set<string>();
  readonly molecules = new Map<string, LibraryMolecule>();
  #marks = new Map<string, PeerMark[]>();
  #marksKey = '';
  #local: PresenceState;
  #missing = new Set<string>();
  #missingTimer: ReturnType<typeof setTimeout> | null = null;
  #missingTries = 0;
  #cursorTimer: ReturnType<typeof setTimeout> | null = null;
  #pendingCursor: { x: number; y: number } | null | undefined = undefined;
  #destroyed = false;
  #recount: (which: 'comments' | 'notes', ids: Iterable<string>) => void;
  #opts: SessionOptions;
  #teardown: Array<() => void> = [];

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.libraryId = opts.libraryId;
    this.readOnly = opts.readOnly;
    this.me = { id: opts.user.id, name: opts.user.name, color: userColor(opts.user.id) };
    this.#local = { user: this.me, selected: null, editing: null, cursor: null };

    const cards = cardsMap(this.doc);
    const lanes = lanesMap(this.doc);
    const comments = commentsMap(this.doc);
    const notes = notesMap(this.doc);

    // Until the first sync the board is not shown: the observers wait, and onSynced reads
    // everything once (a 5,000-card first sync would otherwise be read three times).
    const onLanes = () => {
      if (this.loaded) this.#readLanes();
    };
    const onCards = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      if (!this.loaded) return;
      const { keys, all } = changedKeys(events, cards as unknown as Y.AbstractType<unknown>);
      if (all || keys.size > FULL_REBUILD_AT) this.#rebuildCards();
      else this.#updateCards(keys);
    };
    this.#recount = (which: 'comments' | 'notes', ids: Iterable<string>) => {
      if (which === 'comments') {
        for (const id of ids) {
          const n = comments.get(id)?.length ?? 0;
          if (n) this.#commentCounts.set(id, n);
          else this.#commentCounts.delete(id);
        }
      } else {
        for (const id of ids) {
          if (noteText(notes.get(id)).trim()) this.#notes.add(id);
          else this.#notes.delete(id);
        }
      }
      this.metaRev++;
    };
    const onComments = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      if (!this.loaded) return;
      const { keys, all } = changedKeys(events, comments as unknown as Y.AbstractType<unknown>);
      this.#recount('comments', all ? new Set([...comments.keys(), ...this.#commentCounts.keys()]) : keys);
    };
    const onNotes = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      if (!this.loaded) return;
      const { keys, all } = changedKeys(events, notes as unknown as Y.AbstractType<unknown>);
      this.#recount('notes', all ? new Set([...notes.keys(), ...this.#notes]) : keys);
    };
    lanes.observeDeep(onLanes);
    cards.observeDeep(onCards);
    comments.observeDeep(onComments);
    notes.observeDeep(onNotes);
    this.#teardown.push(() => {
      lanes.unobserveDeep(onLanes);
      cards.unobserveDeep(onCards);
      comments.unobserveDeep(onComments);
      notes.unobserveDeep(onNotes);
    });

    this.undoManager = new Y.UndoManager([lanes, cards, comments], {
      trackedOrigins: new Set([this.origin]),
      // Every user action is one transaction, and one undo step.
      captureTimeout: 0
    });
    const onStack = () => {
      this.canUndo = this.undoManager.undoStack.length > 0;
      this.canRedo = this.undoManager.redoStack.length > 0;
    };
    this.undoManager.on('stack-item-added', onStack);
    this.undoManager.on('stack-item-popped', onStack);
    this.undoManager.on('stack-cleared', onStack);

    this.provider = new HocuspocusProvider({
      url: opts.url,
      name: `library:${opts.libraryId}`,
      document: this.doc,
      token: 'cookie',
      onStatus: ({ status }) => {
        this.status = status as typeof this.status;
        if (status !== 'connected') this.synced = false;
      },
      onSynced: ({ state }) => {
        this.synced = state;
        if (state && !this.loaded) {
          this.loaded = true;
          this.lanes = readLanes(this.doc);
          this.#rebuildCards();
          this.#recount('comments', commentsMap(this.doc).keys());
          this.#recount('notes', notesMap(this.doc).keys());
        }
      },
      onAuthenticated: ({ scope }) => {
        this.scope = scope;
        this.refused = null;
      },
      onAuthenticationFailed: ({ reason }) => {
        this.refused = reason || 'refused';
      },
      onUnsyncedChanges: ({ number }) => {
        this.unsynced = number;
      },
      onAwarenessChange: () => this.#readPeers(),
      onStateless: ({ payload }) => {
        const notice = parseCollabNotice(payload);
        if (notice?.type === 'stored') this.stored++;
        else if (notice?.type === 'access') this.#accessChanged(notice.access, notice.message);
      }
    });
    this.provider.setAwarenessField('user', this.me);
    this.provider.setAwarenessField('selected', null);
    this.provider.setAwarenessField('editing', null);
    this.provider.setAwarenessField('cursor', null);

    void this.loadMolecules();
  }

  /** Read-only from now on, or closed: the server has already stopped applying this client's edits. */
  #accessChanged(access: 'read' | 'none', message: string) {
    this.accessChange = { access, message };
    this.scope = 'readonly';
    if (access === 'none') {
      this.refused = message;
      // The server closed this document; reconnecting would only be refused again.
      this.provider.disconnect();
    }
  }

  get connection(): ConnectionState {
    if (this.refused) return 'refused';
    if (this.status === 'connected' && this.synced) return 'live';
    return this.loaded ? 'reconnecting' : 'connecting';
  }

  /** True when this person may change the board (view access, or the server said read-only: no). */
  get canEdit(): boolean {
    return !this.readOnly && this.scope !== 'readonly';
  }

  get awareness() {
    return this.provider.awareness!;
  }

  // ── Reading ────────────────────────────────────────────────────────────

  // Each reader touches the counter it depends on, so $derived/$effect callers re-run when it moves.

  card(id: string): Card | undefined {
    void this.rev;
    return this.#cards.get(id);
  }
  molecule(id: string): LibraryMolecule | undefined {
    void this.molRev;
    return this.molecules.get(id);
  }
  commentCount(id: string): number {
    void this.metaRev;
    return this.#commentCounts.get(id) ?? 0;
  }
  hasNote(id: string): boolean {
    void this.metaRev;
    return this.#notes.has(id);
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
    return this.#cards.size;
  }
  /** Every card id in board order (lane by lane). */
  allIds(): string[] {
    return this.lanes.flatMap((l) => this.laneCards[l.id] ?? []);
  }
  /** The lane a card shows in (its own, or the first lane when its lane was removed). */
  laneOf(id: string): string | null {
    void this.rev;
    const c = this.#cards.get(id);
    return c ? this.#effectiveLane(c.lane) : null;
  }
  /** Tags used anywhere on the board, most used first. */
  allTags(): string[] {
    void this.rev;
    const n = new Map<string, number>();
    for (const c of this.#cards.values()) for (const t of c.tags) n.set(t, (n.get(t) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
  }
  label(id: string): string {
    void this.molRev;
    return this.molecules.get(id)?.registry_number ?? 'this molecule';
  }

  #effectiveLane(laneId: string): string {
    return this.lanes.some((l) => l.id === laneId) ? laneId : (this.lanes[0]?.id ?? laneId);
  }

  #readLanes() {
    const next = readLanes(this.doc);
    const prev = this.lanes;
    const sameIds = prev.length === next.length && prev.every((l, i) => l.id === next[i].id);
    const sameAll = sameIds && prev.every((l, i) => l.name === next[i].name && l.pos === next[i].pos);
    if (sameAll) return;
    const membership = prev.length !== next.length || next.some((l) => !prev.some((p) => p.id === l.id));
    this.lanes = next;
    if (membership) this.#rebuildCards();
  }

  #rebuildCards() {
    const cards = cardsMap(this.doc);
    const fresh: string[] = [];
    const seen = new Set<string>();
    cards.forEach((_m, id) => {
      seen.add(id);
      const next = cardOf(this.doc, id)!;
      const prev = this.#cards.get(id);
      if (!prev) fresh.push(id);
      if (!prev || !sameCard(prev, next)) this.#cards.set(id, next);
    });
    for (const id of [...this.#cards.keys()]) if (!seen.has(id)) this.#forget(id);
    const buckets: Record<string, Card[]> = {};
    for (const l of this.lanes) buckets[l.id] = [];
    for (const c of this.#cards.values()) (buckets[this.#effectiveLane(c.lane)] ??= []).push(c);
    const next: Record<string, string[]> = {};
    for (const [laneId, list] of Object.entries(buckets)) {
      const ids = list.sort(byPosThenId).map((c) => c.moleculeId);
      const old = this.laneCards[laneId];
      next[laneId] = old && old.length === ids.length && old.every((x, i) => x === ids[i]) ? old : ids;
    }
    this.laneCards = next;
    this.rev++;
    this.#wantMolecules(fresh);
  }

  #updateCards(keys: Set<string>) {
    const cards = cardsMap(this.doc);
    const dirty = new Set<string>();
    const fresh: string[] = [];
    let changed = false;
    for (const id of keys) {
      const prev = this.#cards.get(id);
      if (!cards.has(id)) {
        if (prev) {
          dirty.add(this.#effectiveLane(prev.lane));
          this.#forget(id);
          changed = true;
        }
        continue;
      }
      const next = cardOf(this.doc, id)!;
      if (prev && sameCard(prev, next)) continue;
      this.#cards.set(id, next);
      changed = true;
      if (!prev) fresh.push(id);
      if (!prev || prev.lane !== next.lane || prev.pos !== next.pos) {
        if (prev) dirty.add(this.#effectiveLane(prev.lane));
        dirty.add(this.#effectiveLane(next.lane));
      }
    }
    if (dirty.size) {
      const buckets = new Map<string, Card[]>([...dirty].map((l) => [l, []]));
      for (const c of this.#cards.values()) buckets.get(this.#effectiveLane(c.lane))?.push(c);
      const next = { ...this.laneCards };
      for (const [laneId, list] of buckets) next[laneId] = list.sort(byPosThenId).map((c) => c.moleculeId);
      this.laneCards = next;
    }
    if (changed) this.rev++;
    this.#wantMolecules(fresh);
  }

  #forget(id: string) {
    this.#cards.delete(id);
    this.selection.delete(id);
    if (this.openId === id) this.open(null);
  }

  #readPeers() {
    const states = this.awareness.getStates();
    const peers: Peer[] = [];
    states.forEach((s, clientId) => {
      if (clientId === this.doc.clientID || !s) return;
      const st = s as Partial<PresenceState>;
      if (!st.user || typeof st.user.id !== 'string') return;
      const cursor = st.cursor && typeof st.cursor.x === 'number' && typeof st.cursor.y === 'number' ? st.cursor : null;
      peers.push({
        clientId,
        user: { id: st.user.id, name: String(st.user.name ?? ''), color: String(st.user.color ?? '#4a5565') },
        selected: typeof st.selected === 'string' ? st.selected : null,
        editing: typeof st.editing === 'string' ? st.editing : null,
        cursor
      });
    });
    this.peers = peers;
    // Card outlines change far less often than cursors: only bump when they do.
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
    this.#setPresence({ selected: id });
  }

  setEditing(id: string | null) {
    this.#setPresence({ editing: id });
  }

  /** Pointer position in board-content coordinates; sent at most every 50 ms. */
  setCursor(pos: { x: number; y: number } | null) {
    this.#pendingCursor = pos ? { x: Math.round(pos.x), y: Math.round(pos.y) } : null;
    if (this.#cursorTimer) return;
    this.#flushCursor();
    this.#cursorTimer = setTimeout(() => {
      this.#cursorTimer = null;
      if (this.#pendingCursor !== undefined) this.#flushCursor();
    }, 50);
  }

  #flushCursor() {
    const c = this.#pendingCursor;
    this.#pendingCursor = undefined;
    if (c === undefined) return;
    this.#setPresence({ cursor: c });
  }

  #setPresence(patch: Partial<PresenceState>) {
    if (this.#destroyed) return;
    for (const [k, v] of Object.entries(patch) as [keyof PresenceState, unknown][]) {
      const cur = this.#local[k];
      if (JSON.stringify(cur) === JSON.stringify(v)) continue;
      (this.#local as Record<string, unknown>)[k] = v;
      this.provider.setAwarenessField(k, v);
    }
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
    this.doc.transact(() => {
      for (const id of sorted) moveCard(this.doc, id, laneId, {}, this.origin);
    }, this.origin);
  }

  setTag(id: string, tag: string, on: boolean): boolean {
    if (!this.canEdit) return false;
    return setTag(this.doc, id, tag, on, this.origin);
  }

  tagMany(ids: string[], tag: string) {
    if (!this.canEdit || !ids.length) return;
    this.doc.transact(() => {
      for (const id of ids) setTag(this.doc, id, tag, true, this.origin);
    }, this.origin);
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
    if (this.canEdit) this.undoManager.undo();
  }
  redo() {
    if (this.canEdit) this.undoManager.redo();
  }

  // ── Molecule data (REST) ───────────────────────────────────────────────

  /** Every page of the board's molecule data (GET /libraries/:id/molecules), into `molecules`. */
  async #readLibraryPages() {
    for (let page = 1; ; page++) {
      // No extra request headers: page 1 is answered from the page's preload only
      // when the request matches it (the API answers JSON either way).
      const res = await api<LibraryMoleculeRow[]>((url) => fetch(url), moleculePageUrl(this.libraryId, page));
      if (this.#destroyed) return;
      for (const row of res.data) this.molecules.set(row.molecule.id, row.molecule);
      this.molRev++;
      const total = res.meta?.total ?? res.data.length;
      if (res.data.length < MOLECULE_PAGE_SIZE || page * MOLECULE_PAGE_SIZE >= total) return;
    }
  }

  async loadMolecules() {
    try {
      await this.#readLibraryPages();
      if (this.#destroyed) return;
      this.moleculesLoaded = true;
      this.moleculeError = null;
      // Cards that arrived through the document before the list was read.
      this.#wantMolecules([...this.#cards.keys()]);
    } catch (err) {
      this.moleculeError = (err as Error).message;
    }
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

  #wantMolecules(ids: string[]) {
    if (!this.moleculesLoaded) return;
    let any = false;
    for (const id of ids) {
      if (!this.molecules.has(id)) {
        this.#missing.add(id);
        any = true;
      }
    }
    if (any) this.#scheduleMissing(300);
  }

  #scheduleMissing(ms: number) {
    if (this.#missingTimer || this.#destroyed) return;
    this.#missingTimer = setTimeout(() => {
      this.#missingTimer = null;
      void this.#fetchMissing();
    }, ms);
  }

  /** Someone added cards: fetch their molecules (debounced; retried while the projection catches up). */
  async #fetchMissing() {
    const ids = [...this.#missing].filter((id) => !this.molecules.has(id) && this.#cards.has(id));
    this.#missing.clear();
    if (!ids.length) return;
    let left = ids;
    try {
      if (this.#opts.sameOrganization) {
        for (let i = 0; i < left.length && i < 2000; i += 200) {
          const chunk = left.slice(i, i + 200);
          const res = await api<LibraryMolecule[]>(fetch, `/api/v1/molecules?page_size=200&ids=${chunk.join(',')}`);
          for (const m of res.data) this.molecules.set(m.id, m);
        }
        left = left.filter((id) => !this.molecules.has(id));
      }
      if (left.length) {
        await this.#readLibraryPages();
        left = left.filter((id) => !this.molecules.has(id));
      }
    } catch {
      /* retried below */
    }
    if (this.#destroyed) return;
    this.molRev++;
    if (left.length && this.#missingTries < 5) {
      this.#missingTries++;
      for (const id of left) this.#missing.add(id);
      this.#scheduleMissing(500 * 2 ** this.#missingTries);
    } else {
      this.#missingTries = 0;
    }
  }

  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#missingTimer) clearTimeout(this.#missingTimer);
    if (this.#cursorTimer) clearTimeout(this.#cursorTimer);
    for (const f of this.#teardown) f();
    this.undoManager.destroy();
    this.provider.destroy();
    this.doc.destroy();
  }
}

/** Where the browser reaches the collab-server: PUBLIC_COLLAB_URL, else this host on COLLAB_PORT. */
export function collabUrl(collab: { url?: string | null; port?: number | string | null } | null | undefined): string {
  if (collab?.url) return collab.url;
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${proto}://${location.hostname}:${collab?.port ?? 1234}`;
}
