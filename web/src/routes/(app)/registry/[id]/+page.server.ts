import { apiOrError } from '$lib/api/client';
import type { Molecule } from '$lib/components/registry/types';

export const load = async ({ fetch, params }) => {
  const { data: molecule } = await apiOrError<Molecule>(fetch, `/api/v1/molecules/${encodeURIComponent(params.id)}`);
  return { molecule };
};
