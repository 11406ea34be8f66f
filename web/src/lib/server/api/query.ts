/** Query-string parsing shared by list endpoints; bad values are 400 VALIDATION_ERROR naming the parameter. */
import { AppError } from '$common/errors';
import { parseFilter, type MoleculeQuery } from '$db/access/molecules';
import { chemistry } from '$lib/server/chemistry';

export function parsePage(url: URL, defaults: { pageSize: number; max: number } = { pageSize: 50, max: 200 }) {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new AppError('VALIDATION_ERROR', `Invalid ${name}`, [{ field: name, message: `must be a whole number from ${min} to ${max}` }]);
    }
    return n;
  };
  return { page: int('page', 1, 1, 1_000_000), pageSize: int('page_size', defaults.pageSize, 1, defaults.max) };
}

/** A registry search from the query string (GET /molecules and its export), `q` read as a structure too. */
export function moleculeQueryFromUrl(url: URL): Promise<MoleculeQuery> {
  const ids = url.searchParams.get('ids');
  return withStructureKey({
    q: url.searchParams.get('q'),
    sort: url.searchParams.get('sort'),
    importId: url.searchParams.get('import_id') || null,
    ids: ids ? ids.split(',').map((s) => s.trim()).filter(Boolean) : null,
    filters: url.searchParams.getAll('filter').filter(Boolean).map(parseFilter)
  });
}

/** A registry search from a JSON body (`{ q, filter, import_id }`, as in the query string), `q` read as a structure too. */
export function moleculeQueryFromSearch(search: { q?: string | null; filter?: string[]; import_id?: string | null }): Promise<MoleculeQuery> {
  return withStructureKey({ q: search.q ?? null, filters: (search.filter ?? []).map(parseFilter), importId: search.import_id ?? null });
}

/** Characters a SMILES can be written with; anything else (spaces, commas, …) is text only. */
const SMILES_ALPHABET = /^[A-Za-z0-9@+\-[\]()=#$%\\/.:*~]+$/;
const MAX_STRUCTURE_QUERY = 2000;
/** Recent `q` → InChIKey (or null), so paging through one search parses it once. */
const structureKeys = new Map<string, string | null>();
const STRUCTURE_KEYS_KEPT = 500;

/**
 * `q` read as a structure, standardised the way registration does (largest
 * organic fragment, RDKit's canonical form) and reduced to its InChIKey, so a
 * search finds a molecule in any SMILES spelling (`Cn1cnc2c1c(=O)n(C)c(=O)n2C`
 * finds caffeine). The rule for words that also parse as SMILES (`CO`, `NO`,
 * `CCO`): the structure is an extra match beside the text match, never
 * instead of it, so such a word still finds every name and identifier it
 * finds as text, plus that one structure.
 */
async function withStructureKey(query: MoleculeQuery): Promise<MoleculeQuery> {
  const q = query.q?.trim();
  if (!q || q.length > MAX_STRUCTURE_QUERY || !SMILES_ALPHABET.test(q)) return { ...query, structureKey: null };
  let key = structureKeys.get(q);
  if (key === undefined) {
    const chem = await chemistry();
    const structure = chem.registerStructure(q, 'smiles');
    key = structure.ok ? structure.inchikey : null;
    if (structureKeys.size >= STRUCTURE_KEYS_KEPT) structureKeys.delete(structureKeys.keys().next().value!);
  } else {
    structureKeys.delete(q);
  }
  structureKeys.set(q, key);
  return { ...query, structureKey: key };
}
