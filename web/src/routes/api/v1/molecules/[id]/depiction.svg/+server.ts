import { getMoleculeStructure } from '$db/access/molecules';
import { moleculeVisibleThroughLibrary } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint } from '$lib/server/api/respond';
import { chemistry } from '$lib/server/chemistry';
import { svgResponse } from '$lib/server/depiction';

/** A registered structure never changes, so its picture is cacheable forever (per user: it is private). */
export const GET = endpoint(async ({ locals, params, url }) => {
  const smiles = await getMoleculeStructure(getDb(), locals.actor, params.id ?? '', (actor, id) => moleculeVisibleThroughLibrary(getDb(), actor, id));
  const chem = await chemistry();
  return svgResponse(chem.depictSvg(smiles, sizeFrom(url)), 'private, max-age=31536000, immutable');
});

function sizeFrom(url: URL) {
  const clamp = (v: string | null, d: number) => Math.min(1200, Math.max(60, Number(v) || d));
  return { width: clamp(url.searchParams.get('w'), 240), height: clamp(url.searchParams.get('h'), 180) };
}
