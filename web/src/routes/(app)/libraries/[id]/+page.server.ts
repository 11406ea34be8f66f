import { apiOrError, readApiError } from '$lib/components/registry/api';
import { MOLECULE_PAGE_SIZE, type BoardView, type FirstMoleculePage, type LibraryDetail } from '$lib/board/types';

const VIEWS: BoardView[] = ['board', 'grid', 'plot'];

export const load = async ({ fetch, params, url }) => {
  // Started first and not awaited: SvelteKit streams it after the HTML, so the cards' data is on its way
  // while the page boots and the board document syncs (the page used to ask only on mount).
  // Passed on as the response text: 4 MB for 5,000 cards, and JSON.parse in the browser is
  // far cheaper than parsing it here and serialising it again for the stream.
  const firstPage: Promise<FirstMoleculePage> = fetch(
    `/api/v1/libraries/${encodeURIComponent(params.id)}/molecules?page=1&page_size=${MOLECULE_PAGE_SIZE}`,
    { headers: { accept: 'application/json' } }
  ).then(
    async (res) => (res.ok ? { json: await res.text() } : { error: (await readApiError(res)).message }),
    (err: Error) => ({ error: err.message })
  );
  const { data: library } = await apiOrError<LibraryDetail>(fetch, `/api/v1/libraries/${encodeURIComponent(params.id)}`);
  const v = url.searchParams.get('view') as BoardView | null;
  return { library, view: v && VIEWS.includes(v) ? v : ('board' as BoardView), firstPage };
};
