import { apiOrError } from '$lib/components/registry/api';
import type { LibraryDetail, BoardView } from '$lib/board/types';

const VIEWS: BoardView[] = ['board', 'grid', 'plot'];

export const load = async ({ fetch, params, url }) => {
  const { data: library } = await apiOrError<LibraryDetail>(fetch, `/api/v1/libraries/${encodeURIComponent(params.id)}`);
  const v = url.searchParams.get('view') as BoardView | null;
  return { library, view: v && VIEWS.includes(v) ? v : ('board' as BoardView) };
};
