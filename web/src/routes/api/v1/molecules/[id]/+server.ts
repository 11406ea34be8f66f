import { getMolecule } from '$db/access/molecules';
import { librariesOfMolecule } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';

/** One molecule, with the libraries (you can see) whose boards it is on. */
export const GET = endpoint(async ({ locals, params }) => {
  const molecule = await getMolecule(getDb(), locals.actor, params.id ?? '');
  const libraries = await librariesOfMolecule(getDb(), locals.actor!, molecule.id);
  return ok({ ...molecule, libraries });
});
