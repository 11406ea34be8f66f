import { apiOrError } from '$lib/api/client';
import type { ImportJob } from '$lib/components/registry/types';

const PAGE_SIZE = 25;

export const load = async ({ fetch, url, depends }) => {
  depends('app:imports');
  const n = Number(url.searchParams.get('page'));
  const page = Number.isInteger(n) && n > 0 ? n : 1;
  const { data, meta } = await apiOrError<ImportJob[]>(fetch, `/api/v1/imports?page=${page}&page_size=${PAGE_SIZE}`);
  return { imports: data, meta: meta ?? { page, page_size: PAGE_SIZE, total: data.length } };
};
