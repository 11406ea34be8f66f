/**
 * The molecules on a library's board. Adding goes through the live document
 * (the collab-server), so open boards show new cards at once; the projection
 * read by GET follows when the document is stored (before POST answers).
 */
import { AppError } from '$common/errors';
import { requireRole } from '$db/access/authorize';
import { listLibraryMolecules, moleculesOfImport, requireLibrary } from '$db/access/libraries';
import { matchingMoleculeIds, registerMolecule } from '$db/access/molecules';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { moleculeQueryFromSearch, parsePage } from '$lib/server/api/query';
import { addLibraryMoleculesRequest, MAX_ADD_PER_REQUEST } from '$lib/server/api/library-schemas';
import { chemistry } from '$lib/server/chemistry';
import { clientInfo } from '$lib/server/client-info';
import { collabChange } from '$lib/server/collab';
import { presentLibraryMolecule } from '$lib/server/api/presenters/libraries';

export const GET = endpoint(async ({ locals, params, url }) => {
  const page = parsePage(url, { pageSize: 100, max: 5000 });
  const { data, total } = await listLibraryMolecules(getDb(), locals.actor, params.id ?? '', page, { laneId: url.searchParams.get('lane') });
  return ok(data.map(presentLibraryMolecule), { meta: { page: page.page, page_size: page.pageSize, total } });
});

export const POST = endpoint(async (event) => {
  const { locals, params } = event;
  const input = await readJson(event.request, addLibraryMoleculesRequest);
  const db = getDb();
  const g = await requireLibrary(db, locals.actor, params.id ?? '', 'edit');
  const ids = new Set(input.molecule_ids ?? []);
  if (input.import_id) for (const id of await moleculesOfImport(db, g.library, input.import_id)) ids.add(id);
  if (input.query) {
    // A search runs in the actor's own registry: it must be the library's.
    if (locals.actor?.organization?.id !== g.library.organizationId) {
      throw new AppError('AUTHORIZATION_ERROR', 'Only members of the library’s organisation can add from its registry by a search; add molecule ids instead');
    }
    const found = await matchingMoleculeIds(db, locals.actor, await moleculeQueryFromSearch(input.query), MAX_ADD_PER_REQUEST);
    if (found.truncated) {
      throw new AppError('VALIDATION_ERROR', `The search matches more than ${MAX_ADD_PER_REQUEST.toLocaleString('en')} molecules; narrow it, or add an import instead`, [
        { field: 'query', message: `matches more than ${MAX_ADD_PER_REQUEST.toLocaleString('en')} molecules` }
      ]);
    }
    for (const id of found.ids) ids.add(id);
  }

  const rejected: Array<{ smiles: string; reason: string }> = [];
  if (input.smiles?.length) {
    // New structures join the owning organisation's registry: that needs a scientist there.
    const actor = requireRole(locals.actor, 'scientist');
    if (actor.organization.id !== g.library.organizationId) {
      throw new AppError('AUTHORIZATION_ERROR', 'Only members of the library’s organisation can register new structures into it; add registered molecules instead');
    }
    const chem = await chemistry();
    for (const smiles of input.smiles) {
      const structure = chem.registerStructure(smiles, 'smiles');
      if (!structure.ok) {
        rejected.push({ smiles, reason: structure.reason });
        continue;
      }
      const described = chem.computeDescriptors(structure.canonicalSmiles);
      const { id } = await registerMolecule(db, actor, { originalInput: smiles, inputFormat: 'smiles' }, structure, described.ok ? described : null, clientInfo(event));
      ids.add(id);
    }
  }

  const all = [...ids];
  const total = { added: 0, already_present: 0 };
  for (let i = 0; i < all.length; i += MAX_ADD_PER_REQUEST) {
    const r = await collabChange(locals.actor, 'libraryCards', g.library.id, {
      add: all.slice(i, i + MAX_ADD_PER_REQUEST),
      lane_id: input.lane_id
    });
    total.added += r.added;
    total.already_present += r.already_present;
  }
  return ok({ added: total.added, already_present: total.already_present, rejected }, { status: 200 });
});
