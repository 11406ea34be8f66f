/**
 * The molecule data behind a board's cards (the document only names molecules
 * by id): every page of GET /libraries/:id/molecules once, then the molecules
 * of cards people add while the board is open, fetched in debounced batches
 * and retried (with backoff) while the projection catches up with the
 * document.
 *
 * Plain data, no reactivity: `onChange` says when data arrived (`data`) or
 * the load's outcome changed (`status`), and the board session turns that
 * into its counters.
 */
import { api } from '$lib/api/client';
import { MOLECULE_PAGE_SIZE, moleculePageUrl, type LibraryMolecule, type LibraryMoleculeRow } from './types';

export interface MoleculeCacheOptions {
  libraryId: string;
  /** The library belongs to the active organisation, so GET /molecules?ids= can fill in new cards quickly. */
  sameOrganization: boolean;
  /** The cards on the board (the card index): only their molecules are fetched. */
  cards: { has(id: string): boolean; ids(): Iterable<string> };
  onChange: (what: 'data' | 'status') => void;
  /** The browser's fetch unless given (tests). */
  fetch?: typeof fetch;
}

/** Debounce before fetching the molecules of cards that just arrived. */
export const MISSING_DEBOUNCE_MS = 300;
/** Retries for molecules the API does not know yet (500 ms · 2^n apart). */
export const MISSING_RETRIES = 5;
/** At most this many ids per GET /molecules?ids= (the API's page size) and per fill-in. */
const IDS_PER_REQUEST = 200;
const IDS_PER_FILL = 2000;

export class MoleculeCache {
  readonly molecules = new Map<string, LibraryMolecule>();
  /** Every page was read once. */
  loaded = false;
  /** Why the last full load failed, or null. */
  error: string | null = null;

  readonly #opts: MoleculeCacheOptions;
  readonly #fetch: typeof fetch;
  #missing = new Set<string>();
  #missingTimer: ReturnType<typeof setTimeout> | null = null;
  #missingTries = 0;
  #destroyed = false;

  constructor(opts: MoleculeCacheOptions) {
    this.#opts = opts;
    const f = opts.fetch ?? fetch;
    // Called unbound: the browser's fetch refuses any `this` but the window.
    this.#fetch = (input, init) => f(input, init);
  }

  get(id: string): LibraryMolecule | undefined {
    return this.molecules.get(id);
  }

  /** Reads every page; on success also fetches what cards added meanwhile need. */
  async load() {
    try {
      await this.#readLibraryPages();
      if (this.#destroyed) return;
      this.loaded = true;
      this.error = null;
      this.#opts.onChange('status');
      // Cards that arrived through the document before the list was read.
      this.want([...this.#opts.cards.ids()]);
    } catch (err) {
      this.error = (err as Error).message;
      this.#opts.onChange('status');
    }
  }

  /** These cards are new on the board: fetch the molecules not known yet (once the full list was read). */
  want(ids: string[]) {
    if (!this.loaded) return;
    let any = false;
    for (const id of ids) {
      if (!this.molecules.has(id)) {
        this.#missing.add(id);
        any = true;
      }
    }
    if (any) this.#scheduleMissing(MISSING_DEBOUNCE_MS);
  }

  destroy() {
    this.#destroyed = true;
    if (this.#missingTimer) clearTimeout(this.#missingTimer);
    this.#missingTimer = null;
  }

  /** Every page of the board's molecule data (GET /libraries/:id/molecules). */
  async #readLibraryPages() {
    for (let page = 1; ; page++) {
      // No extra request headers: page 1 is answered from the page's preload only
      // when the request matches it (the API answers JSON either way).
      const res = await api<LibraryMoleculeRow[]>((url) => this.#fetch(url), moleculePageUrl(this.#opts.libraryId, page));
      if (this.#destroyed) return;
      for (const row of res.data) this.molecules.set(row.molecule.id, row.molecule);
      this.#opts.onChange('data');
      const total = res.meta?.total ?? res.data.length;
      if (res.data.length < MOLECULE_PAGE_SIZE || page * MOLECULE_PAGE_SIZE >= total) return;
    }
  }

  #scheduleMissing(ms: number) {
    if (this.#missingTimer || this.#destroyed) return;
    this.#missingTimer = setTimeout(() => {
      this.#missingTimer = null;
      void this.#fetchMissing();
    }, ms);
  }

  /** Someone added cards: fetch their molecules (retried while the projection catches up). */
  async #fetchMissing() {
    const ids = [...this.#missing].filter((id) => !this.molecules.has(id) && this.#opts.cards.has(id));
    this.#missing.clear();
    if (!ids.length) return;
    let left = ids;
    try {
      if (this.#opts.sameOrganization) {
        for (let i = 0; i < left.length && i < IDS_PER_FILL; i += IDS_PER_REQUEST) {
          const chunk = left.slice(i, i + IDS_PER_REQUEST);
          const res = await api<LibraryMolecule[]>(this.#fetch, `/api/v1/molecules?page_size=${IDS_PER_REQUEST}&ids=${chunk.join(',')}`);
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
    this.#opts.onChange('data');
    if (left.length && this.#missingTries < MISSING_RETRIES) {
      this.#missingTries++;
      for (const id of left) this.#missing.add(id);
      this.#scheduleMissing(500 * 2 ** this.#missingTries);
    } else {
      this.#missingTries = 0;
    }
  }
}
