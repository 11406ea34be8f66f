/**
 * The board's cards as the views read them, kept up to date from the
 * `library:<id>` document (common/board.ts) at 5,000 cards:
 *  - the document is observed deeply and only the cards an update touched are
 *    re-read; a lane's order is re-sorted only when one of its cards moved in
 *    or out or changed position;
 *  - cards are immutable objects replaced when they change, kept in a plain
 *    Map, so a lookup by id yields the same object while nothing changed;
 *  - per-lane id arrays keep their identity when untouched, so lanes that did
 *    not change do not re-render.
 *
 * Plain data, no reactivity: every change reports what moved (`IndexChange`)
 * and the board session turns that into its version counters.
 */
import * as Y from 'yjs';
import { cardOf, cardsMap, commentsMap, lanesMap, noteText, notesMap, readLanes, type Card, type Lane } from '$common/board';

/** What one document change did to the index. */
export interface IndexChange {
  /** `lanes` is a new array (a lane was added, removed, renamed or moved). */
  lanes: boolean;
  /** `laneCards` is a new object (some lane's order changed; untouched lanes keep their array). */
  laneCards: boolean;
  /** Some card's lane, position or tags changed, or cards came or went. */
  cards: boolean;
  /** Comment counts or notes were re-read. */
  meta: boolean;
  /** Cards new to the index (their molecule data may be missing). */
  added: string[];
  /** Cards no longer on the board. */
  removed: string[];
}

/** More changed keys than this in one update: re-read everything (initial sync, restores). */
export const FULL_REBUILD_AT = 400;

const byPosThenId = (a: Card, b: Card) =>
  a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : a.moleculeId < b.moleculeId ? -1 : a.moleculeId > b.moleculeId ? 1 : 0;
const sameTags = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);
const sameCard = (a: Card, b: Card) => a.lane === b.lane && a.pos === b.pos && sameTags(a.tags, b.tags) && a.addedBy === b.addedBy && a.addedAt === b.addedAt;
const noChange = (): IndexChange => ({ lanes: false, laneCards: false, cards: false, meta: false, added: [], removed: [] });

/** The top-level keys (card ids) a deep observer's events touched; `all` when one cannot tell. */
function changedKeys(events: Y.YEvent<Y.AbstractType<unknown>>[], root: Y.AbstractType<unknown>): { keys: Set<string>; all: boolean } {
  const keys = new Set<string>();
  for (const e of events) {
    if (e.target === root) for (const k of (e as Y.YMapEvent<unknown>).keysChanged) keys.add(k);
    else if (typeof e.path[0] === 'string') keys.add(e.path[0]);
    else return { keys, all: true };
  }
  return { keys, all: false };
}

export class CardIndex {
  readonly doc: Y.Doc;
  /** Lanes in board order. */
  lanes: Lane[] = [];
  /** Card ids per lane id, in board order. Untouched lanes keep their array. */
  laneCards: Record<string, string[]> = {};

  readonly #cards = new Map<string, Card>();
  readonly #commentCounts = new Map<string, number>();
  readonly #notes = new Set<string>();
  #stop: (() => void) | null = null;

  constructor(doc: Y.Doc) {
    this.doc = doc;
  }

  // ── Reading ────────────────────────────────────────────────────────────

  card(id: string): Card | undefined {
    return this.#cards.get(id);
  }
  has(id: string): boolean {
    return this.#cards.has(id);
  }
  get size(): number {
    return this.#cards.size;
  }
  ids(): IterableIterator<string> {
    return this.#cards.keys();
  }
  /** Every card id in board order (lane by lane). */
  allIds(): string[] {
    return this.lanes.flatMap((l) => this.laneCards[l.id] ?? []);
  }
  /** The lane a card shows in (its own, or the first lane when its lane was removed). */
  laneOf(id: string): string | null {
    const c = this.#cards.get(id);
    return c ? this.#effectiveLane(c.lane) : null;
  }
  /** Tags used anywhere on the board, most used first. */
  allTags(): string[] {
    const n = new Map<string, number>();
    for (const c of this.#cards.values()) for (const t of c.tags) n.set(t, (n.get(t) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
  }
  commentCount(id: string): number {
    return this.#commentCounts.get(id) ?? 0;
  }
  hasNote(id: string): boolean {
    return this.#notes.has(id);
  }

  // ── Following the document ─────────────────────────────────────────────

  /**
   * Reads the whole document, then follows it: `onChange` hears what each
   * later change did. Call it once the first sync is in (reading a 5,000-card
   * first sync as it arrives would read it three times). Returns the first
   * read's change.
   */
  follow(onChange: (change: IndexChange) => void): IndexChange {
    this.#stop?.();
    const cards = cardsMap(this.doc);
    const lanes = lanesMap(this.doc);
    const comments = commentsMap(this.doc);
    const notes = notesMap(this.doc);
    const onLanes = () => onChange(this.#readLanes());
    const onCards = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      const { keys, all } = changedKeys(events, cards as unknown as Y.AbstractType<unknown>);
      onChange(all || keys.size > FULL_REBUILD_AT ? this.#rebuildCards() : this.#updateCards(keys));
    };
    const onComments = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      const { keys, all } = changedKeys(events, comments as unknown as Y.AbstractType<unknown>);
      onChange(this.#recount('comments', all ? new Set([...comments.keys(), ...this.#commentCounts.keys()]) : keys));
    };
    const onNotes = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      const { keys, all } = changedKeys(events, notes as unknown as Y.AbstractType<unknown>);
      onChange(this.#recount('notes', all ? new Set([...notes.keys(), ...this.#notes]) : keys));
    };
    lanes.observeDeep(onLanes);
    cards.observeDeep(onCards);
    comments.observeDeep(onComments);
    notes.observeDeep(onNotes);
    this.#stop = () => {
      lanes.unobserveDeep(onLanes);
      cards.unobserveDeep(onCards);
      comments.unobserveDeep(onComments);
      notes.unobserveDeep(onNotes);
    };

    this.lanes = readLanes(this.doc);
    const first = this.#rebuildCards();
    this.#recount('comments', comments.keys());
    this.#recount('notes', notes.keys());
    return { ...first, lanes: true, meta: true };
  }

  /** Stops following the document. */
  stop() {
    this.#stop?.();
    this.#stop = null;
  }

  #effectiveLane(laneId: string): string {
    return this.lanes.some((l) => l.id === laneId) ? laneId : (this.lanes[0]?.id ?? laneId);
  }

  #readLanes(): IndexChange {
    const next = readLanes(this.doc);
    const prev = this.lanes;
    const sameIds = prev.length === next.length && prev.every((l, i) => l.id === next[i].id);
    const sameAll = sameIds && prev.every((l, i) => l.name === next[i].name && l.pos === next[i].pos);
    if (sameAll) return noChange();
    const membership = prev.length !== next.length || next.some((l) => !prev.some((p) => p.id === l.id));
    this.lanes = next;
    // Cards of a removed lane show in the first lane; a new lane needs its (empty) list.
    return membership ? { ...this.#rebuildCards(), lanes: true } : { ...noChange(), lanes: true };
  }

  #rebuildCards(): IndexChange {
    const change = noChange();
    const cards = cardsMap(this.doc);
    const seen = new Set<string>();
    cards.forEach((_m, id) => {
      seen.add(id);
      const next = cardOf(this.doc, id)!;
      const prev = this.#cards.get(id);
      if (!prev) change.added.push(id);
      if (!prev || !sameCard(prev, next)) this.#cards.set(id, next);
    });
    for (const id of [...this.#cards.keys()]) {
      if (seen.has(id)) continue;
      this.#cards.delete(id);
      change.removed.push(id);
    }
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
    change.laneCards = true;
    change.cards = true;
    return change;
  }

  #updateCards(keys: Set<string>): IndexChange {
    const change = noChange();
    const cards = cardsMap(this.doc);
    const dirty = new Set<string>();
    for (const id of keys) {
      const prev = this.#cards.get(id);
      if (!cards.has(id)) {
        if (prev) {
          dirty.add(this.#effectiveLane(prev.lane));
          this.#cards.delete(id);
          change.removed.push(id);
          change.cards = true;
        }
        continue;
      }
      const next = cardOf(this.doc, id)!;
      if (prev && sameCard(prev, next)) continue;
      this.#cards.set(id, next);
      change.cards = true;
      if (!prev) change.added.push(id);
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
      change.laneCards = true;
    }
    return change;
  }

  #recount(which: 'comments' | 'notes', ids: Iterable<string>): IndexChange {
    if (which === 'comments') {
      const comments = commentsMap(this.doc);
      for (const id of ids) {
        const n = comments.get(id)?.length ?? 0;
        if (n) this.#commentCounts.set(id, n);
        else this.#commentCounts.delete(id);
      }
    } else {
      const notes = notesMap(this.doc);
      for (const id of ids) {
        if (noteText(notes.get(id)).trim()) this.#notes.add(id);
        else this.#notes.delete(id);
      }
    }
    return { ...noChange(), meta: true };
  }
}
