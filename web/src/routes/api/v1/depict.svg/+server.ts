import { AppError } from '$common/errors';
import { requireRole } from '$db/access/authorize';
import { endpoint } from '$lib/server/api/respond';
import { chemistry } from '$lib/server/chemistry';
import { svgResponse } from '$lib/server/depiction';

/** A picture of any SMILES (import previews). Same input, same picture: cacheable. */
export const GET = endpoint(async ({ locals, url }) => {
  requireRole(locals.actor, 'viewer');
  const smiles = url.searchParams.get('smiles') ?? '';
  if (!smiles.trim() || smiles.length > 5000) {
    throw new AppError('VALIDATION_ERROR', 'Give a structure as ?smiles=', [{ field: 'smiles', message: 'is required (at most 5000 characters)' }]);
  }
  const clamp = (v: string | null, d: number) => Math.min(1200, Math.max(60, Number(v) || d));
  const chem = await chemistry();
  const svg = chem.depictSvg(smiles, { width: clamp(url.searchParams.get('w'), 160), height: clamp(url.searchParams.get('h'), 120) });
  return svgResponse(svg, 'private, max-age=86400');
});
