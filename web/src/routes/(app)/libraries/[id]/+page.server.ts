import { apiOrError } from '$lib/api/client';
import type { BoardView, LibraryDetail } from '$lib/board/types';

const VIEWS: BoardView[] = ['board', 'grid', 'plot'];

// The cards' molecule data is not part of the page: the page preloads it (see +page.svelte).
// Streamed with the HTML it was 4 MB for 5,000 cards that the web server serialised while the
// browser waited on it for the page's scripts, and the first visit took 1.7 s instead of 1.4.
export const load = async ({ fetch, params, url }) => {
  const { data: library } = await apiOrError<LibraryDetail>(fetch, `/api/v1/libraries/${encodeURIComponent(params.id)}`);
  const v = url.searchParams.get('view') as BoardView | null;
  return { library, view: v && VIEWS.includes(v) ? v : ('board' as BoardView) };
};
