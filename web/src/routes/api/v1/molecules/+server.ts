import { z } from 'zod';
import { AppError } from '$common/errors';
import { getMolecule, listMolecules, registerMolecule } from '$db/access/molecules';
import { requireRole } from '$db/access/authorize';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { moleculeQueryFromUrl, parsePage } from '$lib/server/api/query';
import { registerMoleculeRequest } from '$lib/server/api/registry-schemas';
import { chemistry } from '$lib/server/chemistry';
import { clientInfo } from '$lib/server/client-info';

/**
 * One page of the registry. `meta.total` is exact for the whole registry and
 * for searches matching up to 10,000 molecules; above that it is Postgres's
 * estimate and `meta.total_is_estimate` is true.
 */
export const GET = endpoint(async ({ locals, url }) => {
  const page = parsePage(url);
  requireRole(locals.actor, 'viewer');
  const query = await moleculeQueryFromUrl(url);
  const { data, total, totalIsEstimate } = await listMolecules(getDb(), locals.actor, query, page);
  return ok(data, { meta: { page: page.page, page_size: page.pageSize, total, total_is_estimate: totalIsEstimate } });
});

/** Register one structure: 201 when new, 200 with `created: false` when the InChIKey is already registered. */
export const POST = endpoint(async (event) => {
  requireRole(event.locals.actor, 'scientist');
  const input = await readJson(event.request, registerMoleculeRequest);
  const chem = await chemistry();
  const structure = chem.registerStructure(input.smiles, 'smiles');
  if (!structure.ok) {
    throw new AppError('VALIDATION_ERROR', `The structure could not be registered: ${structure.reason}`, [
      { field: 'smiles', message: structure.reason, code: structure.code }
    ]);
  }
  const described = chem.computeDescriptors(structure.canonicalSmiles);
  const { id, created } = await registerMolecule(
    getDb(),
    event.locals.actor,
    {
      originalInput: input.smiles,
      inputFormat: 'smiles',
      name: input.name ?? null,
      externalIds: input.external_ids,
      properties: input.properties
    },
    structure,
    described.ok ? described : null,
    clientInfo(event)
  );
  const molecule = await getMolecule(getDb(), event.locals.actor, id);
  return ok({ ...molecule, created }, { status: created ? 201 : 200 });
});

export type RegisterMoleculeRequest = z.infer<typeof registerMoleculeRequest>;
