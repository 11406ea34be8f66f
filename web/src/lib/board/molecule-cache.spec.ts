import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MISSING_DEBOUNCE_MS, MISSING_RETRIES, MoleculeCache, type MoleculeCacheOptions } from './molecule-cache';
import { MOLECULE_PAGE_SIZE, type LibraryMolecule } from './types';

const LIB = 'lib-1';

const molecule = (id: string): LibraryMolecule =>
  ({ id, registry_number: `CX-${id}`, name: null, canonical_smiles: 'C', properties: {} }) as unknown as LibraryMolecule;

/**
 * The REST API as the cache sees it: the library's rows (`library`), what
 * GET /molecules?ids= knows (`known`), every request made, and `failing`
 * to answer 503.
 */
function fakeApi(library: string[], known: string[] = library) {
  const state = { library: [...library], known: new Set(known), failing: false, requests: [] as { url: string; init: RequestInit | undefined }[] };
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://app.test');
    state.requests.push({ url: url.pathname + url.search, init });
    if (state.failing) return json(503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'Down for a moment' } });
    if (url.pathname === `/api/v1/libraries/${LIB}/molecules`) {
      const page = Number(url.searchParams.get('page'));
      const size = Number(url.searchParams.get('page_size'));
      const rows = state.library.slice((page - 1) * size, page * size).map((id) => ({ molecule: molecule(id), lane_id: 'ideas', lane: 'Ideas', position: 0, tags: [], added_at: '' }));
      return json(200, { data: rows, meta: { total: state.library.length } });
    }
    if (url.pathname === '/api/v1/molecules') {
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter((id) => state.known.has(id));
      return json(200, { data: ids.map(molecule), meta: { total: ids.length } });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: 'Not found' } });
  }) as typeof globalThis.fetch;
  return { state, fetch };
}

function cacheFor(api: ReturnType<typeof fakeApi>, cards: string[], opts: Partial<MoleculeCacheOptions> = {}) {
  const onBoard = new Set(cards);
  const events: string[] = [];
  const cache = new MoleculeCache({
    libraryId: LIB,
    sameOrganization: true,
    cards: { has: (id) => onBoard.has(id), ids: () => onBoard.values() },
    onChange: (what) => events.push(what),
    fetch: api.fetch,
    ...opts
  });
  return { cache, onBoard, events };
}

const requested = (api: ReturnType<typeof fakeApi>) => api.state.requests.map((r) => r.url);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MoleculeCache', () => {
  it('reads every page of the library, asking for page 1 exactly as the page preloads it', async () => {
    const ids = Array.from({ length: MOLECULE_PAGE_SIZE + 2 }, (_, i) => `m${i}`);
    const api = fakeApi(ids);
    const { cache, events } = cacheFor(api, ids);
    await cache.load();
    expect(cache.loaded).toBe(true);
    expect(cache.molecules.size).toBe(ids.length);
    expect(cache.get('m5001')?.registry_number).toBe('CX-m5001');
    expect(requested(api)).toEqual([
      `/api/v1/libraries/${LIB}/molecules?page=1&page_size=${MOLECULE_PAGE_SIZE}`,
      `/api/v1/libraries/${LIB}/molecules?page=2&page_size=${MOLECULE_PAGE_SIZE}`
    ]);
    // No init (no extra headers): otherwise the preloaded response would not be used.
    expect(api.state.requests[0].init).toBeUndefined();
    expect(events).toEqual(['data', 'data', 'status']);
  });

  it('fetches the molecules of cards added while the board is open, in one debounced request', async () => {
    const api = fakeApi(['a'], ['a', 'x', 'y']);
    const { cache, onBoard, events } = cacheFor(api, ['a']);
    await cache.load();
    onBoard.add('x');
    onBoard.add('y');
    cache.want(['x']);
    cache.want(['y', 'a']);
    expect(cache.get('x')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(MISSING_DEBOUNCE_MS);
    expect(requested(api).slice(1)).toEqual(['/api/v1/molecules?page_size=200&ids=x,y']);
    expect(cache.get('x')?.id).toBe('x');
    expect(cache.get('y')?.id).toBe('y');
    expect(events.at(-1)).toBe('data');
  });

  it('reads the library pages instead when the library belongs to another organisation', async () => {
    const api = fakeApi(['a']);
    const { cache, onBoard } = cacheFor(api, ['a'], { sameOrganization: false });
    await cache.load();
    api.state.library.push('x');
    onBoard.add('x');
    cache.want(['x']);
    await vi.advanceTimersByTimeAsync(MISSING_DEBOUNCE_MS);
    expect(requested(api).filter((u) => u.startsWith('/api/v1/molecules'))).toEqual([]);
    expect(cache.get('x')?.id).toBe('x');
  });

  it('asks for nothing before the library was read, and nothing for cards removed meanwhile', async () => {
    const api = fakeApi(['a'], ['a', 'x', 'gone']);
    const { cache, onBoard } = cacheFor(api, ['a']);
    cache.want(['x']);
    await vi.advanceTimersByTimeAsync(MISSING_DEBOUNCE_MS * 10);
    expect(api.state.requests).toEqual([]);
    // A card that arrived before the list was read is fetched once it has been.
    onBoard.add('x');
    await cache.load();
    onBoard.add('gone');
    cache.want(['gone']);
    onBoard.delete('gone');
    await vi.advanceTimersByTimeAsync(MISSING_DEBOUNCE_MS);
    expect(requested(api).slice(1)).toEqual(['/api/v1/molecules?page_size=200&ids=x']);
  });

  it('retries a molecule the API does not know yet, backing off, and stops after the last retry', async () => {
    const api = fakeApi(['a'], ['a']);
    const { cache, onBoard } = cacheFor(api, ['a']);
    await cache.load();
    onBoard.add('late');
    cache.want(['late']);
    await vi.advanceTimersByTimeAsync(MISSING_DEBOUNCE_MS);
    const tries = () => requested(api).filter((u) => u.includes('ids=late')).length;
    expect(tries()).toBe(1);
    // The projection catches up: the next retry (500 ms · 2) finds it.
    api.state.known.add('late');
    await vi.advanceTimersByTimeAsync(999);
    expect(tries()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tries()).toBe(2);
    expect(cache.get('late')?.id).toBe('late');

    onBoard.add('never');
    cache.want(['never']);
    await vi.advanceTimersByTimeAsync(MISSING_DEBOUNCE_MS + 500 * (2 ** (MISSING_RETRIES + 1) - 1));
    expect(requested(api).filter((u) => u.includes('ids=never'))).toHaveLength(1 + MISSING_RETRIES);
  });

  it('says why the library could not be read, and a second load clears it', async () => {
    const api = fakeApi(['a']);
    api.state.failing = true;
    const { cache, events } = cacheFor(api, ['a']);
    await cache.load();
    expect(cache.loaded).toBe(false);
    expect(cache.error).toBe('Down for a moment');
    expect(events).toEqual(['status']);
    api.state.failing = false;
    await cache.load();
    expect(cache.loaded).toBe(true);
    expect(cache.error).toBeNull();
    expect(cache.get('a')?.id).toBe('a');
  });

  it('fetches nothing more once destroyed', async () => {
    const api = fakeApi(['a'], ['a', 'x']);
    const { cache, onBoard } = cacheFor(api, ['a']);
    await cache.load();
    onBoard.add('x');
    cache.want(['x']);
    cache.destroy();
    await vi.advanceTimersByTimeAsync(MISSING_DEBOUNCE_MS * 10);
    expect(api.state.requests).toHaveLength(1);
  });
});
