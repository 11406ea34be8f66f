import { AppError } from '$common/errors';
import { exportMolecules, moleculeFields } from '$db/access/molecules';
import { getDb } from '$lib/server/context';
import { endpoint } from '$lib/server/api/respond';
import { moleculeQueryFromUrl } from '$lib/server/api/query';
import { getRDKit } from '$chem/rdkit';
import { csvLine, download } from '$lib/server/csv';
import { DESCRIPTOR_KEYS as DESCRIPTORS } from '$lib/components/registry/types';

const propertyHeader = (name: string, unit: string | null) => (unit ? `${name} [${unit}]` : name);

/**
 * Streams the molecules matching the same q/filter/import_id/ids as the list,
 * as CSV (one column per identifier label and per property) or SDF (data items).
 */
export const GET = endpoint(async ({ locals, url }) => {
  const format = url.searchParams.get('format') ?? 'csv';
  if (format !== 'csv' && format !== 'sdf') {
    throw new AppError('VALIDATION_ERROR', 'Invalid format', [{ field: 'format', message: 'must be csv or sdf' }]);
  }
  const db = getDb();
  const query = await moleculeQueryFromUrl(url);
  const fields = await moleculeFields(db, locals.actor);
  const labels = fields.identifier_labels.map((l) => l.label);
  const props = fields.properties.map((p) => ({ name: p.name, header: propertyHeader(p.name, p.unit) }));
  const batches = exportMolecules(db, locals.actor, query);
  const stamp = new Date().toISOString().slice(0, 10);

  if (format === 'csv') {
    async function* csv() {
      yield csvLine(['registry_number', 'name', 'smiles', 'inchikey', 'formula', ...DESCRIPTORS, ...labels, ...props.map((p) => p.header)]);
      for await (const batch of batches) {
        let out = '';
        for (const m of batch) {
          const idFor = (label: string) => m.identifiers.filter((i) => i.label === label).map((i) => i.value).join('; ');
          out += csvLine([
            m.registry_number, m.name, m.canonical_smiles, m.inchikey, m.formula,
            ...DESCRIPTORS.map((d) => m[d]),
            ...labels.map(idFor),
            ...props.map((p) => m.properties[p.name]?.value ?? m.properties[p.name]?.value_text ?? null)
          ]);
        }
        yield out;
      }
    }
    return download(`crosslink-molecules-${stamp}.csv`, 'text/csv; charset=utf-8', csv());
  }

  const RDKit = await getRDKit();
  async function* sdf() {
    for await (const batch of batches) {
      let out = '';
      for (const m of batch) {
        const mol = RDKit.get_mol(m.canonical_smiles);
        let block = '';
        try {
          block = mol?.get_molblock() ?? '';
        } finally {
          mol?.delete();
        }
        // The first line of a molblock is the record's title.
        out += block.replace(/^[^\n]*/, m.registry_number);
        const item = (name: string, value: unknown) => {
          if (value === null || value === undefined || value === '') return;
          out += `>  <${name}>\n${String(value).replace(/\r?\n/g, ' ')}\n\n`;
        };
        item('registry_number', m.registry_number);
        item('name', m.name);
        item('smiles', m.canonical_smiles);
        item('inchikey', m.inchikey);
        for (const d of DESCRIPTORS) item(d, m[d]);
        for (const label of labels) item(label, m.identifiers.filter((i) => i.label === label).map((i) => i.value).join('; '));
        for (const p of props) item(p.header, m.properties[p.name]?.value ?? m.properties[p.name]?.value_text);
        out += '$$$$\n';
      }
      yield out;
    }
  }
  return download(`crosslink-molecules-${stamp}.sdf`, 'chemical/x-mdl-sdfile', sdf());
});
