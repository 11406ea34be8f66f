import { fail, redirect } from '@sveltejs/kit';
import { ApiError, postJson, toHttpError } from '$lib/api/client';
import type { Molecule } from '$lib/components/registry/types';

type RegisterValues = {
  smiles: string;
  name: string;
  identifiers: { label: string; value: string }[];
  properties: { name: string; value: string; unit: string }[];
};

export const load = async ({ url }) => ({ prefill: url.searchParams.get('smiles') ?? '' });

const str = (v: FormDataEntryValue | null) => (typeof v === 'string' ? v.trim() : '');

export const actions = {
  default: async ({ request, fetch }) => {
    const fd = await request.formData();
    const labels = fd.getAll('id_label').map(str);
    const idValues = fd.getAll('id_value').map(str);
    const propNames = fd.getAll('prop_name').map(str);
    const propValues = fd.getAll('prop_value').map(str);
    const propUnits = fd.getAll('prop_unit').map(str);
    const values: RegisterValues = {
      smiles: str(fd.get('smiles')),
      name: str(fd.get('name')),
      identifiers: labels.map((label, i) => ({ label, value: idValues[i] ?? '' })),
      properties: propNames.map((name, i) => ({ name, value: propValues[i] ?? '', unit: propUnits[i] ?? '' }))
    };

    // Checks the form can make before asking the API (the API checks again).
    const errors: Record<string, string> = {};
    if (!values.smiles) errors.smiles = 'Enter a SMILES string';
    const external_ids: Record<string, string> = {};
    values.identifiers.forEach((r, i) => {
      if (!r.label && !r.value) return;
      if (!r.label) errors[`identifiers.${i}`] = 'Give this identifier a label (e.g. sponsor_id)';
      else if (!r.value) errors[`identifiers.${i}`] = 'Enter a value or clear the label';
      else if (external_ids[r.label] !== undefined) errors[`identifiers.${i}`] = `“${r.label}” is given twice`;
      else external_ids[r.label] = r.value;
    });
    const properties: Record<string, { value: number | string; unit?: string | null }> = {};
    values.properties.forEach((r, i) => {
      if (!r.name && !r.value && !r.unit) return;
      if (!r.name) errors[`properties.${i}`] = 'Give this property a name (e.g. IC50)';
      else if (!r.value) errors[`properties.${i}`] = 'Enter a value or clear the row';
      else if (properties[r.name] !== undefined) errors[`properties.${i}`] = `“${r.name}” is given twice`;
      else {
        const n = Number(r.value.replace(/,/g, '.'));
        properties[r.name] = { value: /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(r.value.replace(/,/g, '.')) && Number.isFinite(n) ? n : r.value, unit: r.unit || null };
      }
    });
    if (Object.keys(errors).length) return fail(400, { values, errors, message: 'Check the highlighted fields' });

    let molecule: Molecule;
    try {
      const res = await postJson<Molecule>(fetch, '/api/v1/molecules', {
        smiles: values.smiles,
        name: values.name || null,
        ...(Object.keys(external_ids).length ? { external_ids } : {}),
        ...(Object.keys(properties).length ? { properties } : {})
      });
      molecule = res.data;
      if (molecule.created === undefined) molecule.created = res.status === 201;
    } catch (err) {
      if (err instanceof ApiError && err.status < 500 && err.status !== 401) {
        const apiErrors: Record<string, string> = {};
        for (const d of err.details) {
          if (!d.field) continue;
          // external_ids.<label> / properties.<name> → the row that holds it.
          const [group, key] = [d.field.split('.')[0], d.field.split('.').slice(1).join('.')];
          if (group === 'external_ids') {
            const i = values.identifiers.findIndex((r) => r.label === key);
            apiErrors[i >= 0 ? `identifiers.${i}` : 'identifiers'] = d.message;
          } else if (group === 'properties') {
            const i = values.properties.findIndex((r) => r.name === key || key.startsWith(r.name + '.'));
            apiErrors[i >= 0 ? `properties.${i}` : 'properties'] = d.message;
          } else apiErrors[group] = d.message;
        }
        const message = apiErrors.smiles ? 'RDKit could not read this structure' : err.message;
        return fail(err.status, { values, errors: apiErrors, message });
      }
      throw toHttpError(err);
    }
    // A name given for a structure already registered under another is kept as a synonym; say so.
    const synonym = !molecule.created && values.name && values.name.toLowerCase() !== (molecule.name ?? '').toLowerCase() ? `&synonym=${encodeURIComponent(values.name)}` : '';
    redirect(303, `/registry/${molecule.id}?registered=${molecule.created ? 'new' : 'existing'}${synonym}`);
  }
};
