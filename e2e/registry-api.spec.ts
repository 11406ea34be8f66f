/**
 * The registry over HTTP against the real stack (web, workers, Postgres, Redis):
 * single registration, imports with bad rows, errors, export round trip,
 * size limit, and organisation boundaries.
 */
import { expect, test, type APIRequestContext } from '@playwright/test';
import { PASSWORD, uniqueEmail } from './support';

async function signup(request: APIRequestContext, kind: 'pharma' | 'cro' = 'pharma') {
  const res = await request.post('/api/v1/auth/signup', {
    data: { email: uniqueEmail('reg'), password: PASSWORD, name: 'Reg User', organization: { name: `Registry ${kind}`, kind } }
  });
  expect(res.status()).toBe(201);
  const { data } = await res.json();
  return { ...data, headers: { Authorization: `Bearer ${data.token}` } };
}

async function uploadImport(request: APIRequestContext, headers: Record<string, string>, name: string, content: string | Buffer, mapping?: unknown) {
  return request.post('/api/v1/imports', {
    headers,
    multipart: {
      file: { name, mimeType: 'text/csv', buffer: Buffer.isBuffer(content) ? content : Buffer.from(content) },
      ...(mapping ? { mapping: JSON.stringify(mapping) } : {})
    }
  });
}

async function waitDone(request: APIRequestContext, headers: Record<string, string>, id: string) {
  for (let i = 0; i < 600; i++) {
    const res = await request.get(`/api/v1/imports/${id}`, { headers });
    const { data } = await res.json();
    if (!['queued', 'running'].includes(data.status)) return data;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('import did not finish');
}

const mapping = {
  structure: { column: 'smiles', type: 'smiles' },
  name: { column: 'name' },
  identifiers: [{ column: 'sponsor_id', label: 'sponsor_id' }],
  properties: [{ column: 'IC50 [nM]', name: 'IC50', unit: 'nM' }]
};

test('registering one molecule: new, the same in another spelling, and a bad structure', async ({ request }) => {
  const a = await signup(request);
  const first = await request.post('/api/v1/molecules', { headers: a.headers, data: { smiles: 'c1ccccc1O', name: 'Phenol', external_ids: { sponsor_id: 'SP-1' } } });
  expect(first.status()).toBe(201);
  const m = (await first.json()).data;
  expect(m).toMatchObject({ created: true, canonical_smiles: 'Oc1ccccc1', inchikey: 'ISWSIDIOOBJBQZ-UHFFFAOYSA-N', formula: 'C6H6O' });
  expect(m.registry_number).toMatch(/^CX-\d{6}$/);
  expect(m.average_mw).toBeCloseTo(94.11, 1);

  const again = await request.post('/api/v1/molecules', {
    headers: a.headers,
    data: { smiles: 'Oc1ccccc1', external_ids: { cro_batch_id: 'B-7' }, properties: { 'LogD 7.4': { value: 1.5 } } }
  });
  expect(again.status()).toBe(200);
  const merged = (await again.json()).data;
  expect(merged).toMatchObject({ id: m.id, created: false });
  expect(merged.identifiers.map((i: { label: string }) => i.label).sort()).toEqual(['cro_batch_id', 'sponsor_id']);
  expect(merged.properties).toEqual([expect.objectContaining({ name: 'LogD 7.4', value: 1.5, source: 'api' })]);

  const bad = await request.post('/api/v1/molecules', { headers: a.headers, data: { smiles: 'C1CC(C)(C)(C)(C)C1' } });
  expect(bad.status()).toBe(400);
  const body = await bad.json();
  expect(body.error.code).toBe('VALIDATION_ERROR');
  expect(body.error.details[0]).toMatchObject({ field: 'smiles' });
  expect(body.error.details[0].message).toMatch(/valence/i);

  const svg = await request.get(m.depiction_url, { headers: a.headers });
  expect(svg.status()).toBe(200);
  expect(svg.headers()['content-type']).toContain('image/svg+xml');
  expect(svg.headers()['cache-control']).toContain('immutable');
  expect(await svg.text()).toContain('<svg');

  // Another organisation cannot see it.
  const b = await signup(request);
  expect((await request.get(`/api/v1/molecules/${m.id}`, { headers: b.headers })).status()).toBe(404);
  expect((await request.get(m.depiction_url, { headers: b.headers })).status()).toBe(404);
});

test('an import with bad rows, its errors, and an export that round-trips into another organisation', async ({ request }) => {
  const a = await signup(request);
  const csv = [
    'smiles,name,sponsor_id,IC50 [nM]',
    'CC(=O)Oc1ccccc1C(=O)O,Aspirin,SP-1,120',
    'CN1C=NC2=C1C(=O)N(C(=O)N2C)C,Caffeine,SP-2,-3.5',
    'C1CC(C)(C)(C)(C)C1,Bad valence,SP-3,1',
    'Cc1ccccc1.Cl,Toluene HCl,SP-4,"1,500"',
    'OCC,Ethanol,=SP-5,7', // formula-like identifier: neutralised on export, restored on import
    'not-a-molecule,Garbage,SP-6,8'
  ].join('\n');
  const res = await uploadImport(request, a.headers, 'set.csv', csv, mapping);
  expect(res.status()).toBe(202);
  const { id } = (await res.json()).data;
  const done = await waitDone(request, a.headers, id);
  expect(done).toMatchObject({ status: 'completed', total_rows: 6, registered: 4, duplicates: 0, invalid: 2 });

  const errors = await request.get(`/api/v1/imports/${id}/errors`, { headers: a.headers });
  const errorRows = (await errors.json()).data;
  expect(errorRows.map((e: { row_number: number }) => e.row_number)).toEqual([3, 6]);
  const errorsCsv = await request.get(`/api/v1/imports/${id}/errors?format=csv`, { headers: a.headers });
  expect(errorsCsv.headers()['content-disposition']).toContain('attachment');
  expect(await errorsCsv.text()).toMatch(/^row_number,code,reason,raw,raw_truncated\r\n3,/);

  const list = await request.get(`/api/v1/molecules?import_id=${id}&sort=name`, { headers: a.headers });
  const listed = await list.json();
  expect(listed.meta.total).toBe(4);
  expect(listed.data.map((m: { name: string }) => m.name)).toEqual(['Aspirin', 'Caffeine', 'Ethanol', 'Toluene HCl']);

  const exported = await request.get('/api/v1/molecules/export?format=csv', { headers: a.headers });
  expect(exported.status()).toBe(200);
  const exportedCsv = await exported.text();
  expect(exportedCsv).toContain("'=SP-5"); // neutralised for spreadsheets
  expect(exportedCsv).toContain('-3.5'); // numbers stay numbers

  const b = await signup(request);
  const back = await uploadImport(request, b.headers, 'export.csv', exportedCsv, mapping);
  expect(back.status()).toBe(202);
  const backDone = await waitDone(request, b.headers, (await back.json()).data.id);
  expect(backDone).toMatchObject({ status: 'completed', registered: 4, invalid: 0 });

  const snapshot = async (headers: Record<string, string>) => {
    const all = (await (await request.get('/api/v1/molecules?sort=name&page_size=200', { headers })).json()).data;
    return all.map((m: { inchikey: string; name: string; canonical_smiles: string; identifiers: unknown; properties: Record<string, { value: number }> }) => ({
      inchikey: m.inchikey,
      smiles: m.canonical_smiles,
      name: m.name,
      identifiers: m.identifiers,
      ic50: m.properties.IC50?.value
    }));
  };
  expect(await snapshot(b.headers)).toEqual(await snapshot(a.headers));

  const sdf = await request.get('/api/v1/molecules/export?format=sdf', { headers: a.headers });
  const sdfText = await sdf.text();
  expect(sdfText.match(/\$\$\$\$/g)).toHaveLength(4);
  expect(sdfText).toContain('>  <sponsor_id>');

  // Revert removes what the import added.
  const revert = await request.post(`/api/v1/imports/${id}/revert`, { headers: a.headers });
  expect(revert.status()).toBe(200);
  expect((await revert.json()).data).toMatchObject({ status: 'reverted', removed: { molecules: 4 } });
  expect((await (await request.get('/api/v1/molecules', { headers: a.headers })).json()).meta.total).toBe(0);
});

test('bad files get clear errors', async ({ request }) => {
  const a = await signup(request);
  const empty = await uploadImport(request, a.headers, 'empty.csv', '');
  expect(empty.status()).toBe(400);
  expect((await empty.json()).error.message).toMatch(/empty/i);

  const noStructure = await uploadImport(request, a.headers, 'nostruct.csv', 'name,weight\nfoo,12\n');
  expect(noStructure.status()).toBe(400);
  expect((await noStructure.json()).error.message).toMatch(/structure/i);

  const missingColumn = await uploadImport(request, a.headers, 'cols.csv', 'smiles,name\nCCO,ethanol\n', mapping);
  expect(missingColumn.status()).toBe(400);
  expect(JSON.stringify((await missingColumn.json()).error)).toContain('sponsor_id');

  // The e2e stack sets IMPORT_MAX_BYTES to 8 MB.
  const big = Buffer.alloc(9 * 1024 * 1024, 'C\n');
  const tooLarge = await uploadImport(request, a.headers, 'big.csv', Buffer.concat([Buffer.from('smiles\n'), big]));
  expect(tooLarge.status()).toBe(413);
  const tooLargeBody = await tooLarge.json();
  expect(tooLargeBody.error.code).toBe('PAYLOAD_TOO_LARGE');
  expect(tooLargeBody.error.message).toContain('8 MB');
});

test('a form post from another site is refused; a bearer-token upload from a script is not a form post', async ({ request }) => {
  const res = await request.post('/login', { form: { email: 'x@example.com', password: 'whatever' }, headers: { Origin: 'https://evil.example' } });
  expect(res.status()).toBe(403);
  expect((await res.json()).error.code).toBe('AUTHORIZATION_ERROR');
  const { headers } = await signup(request);
  const upload = await uploadImport(request, headers, 'ok.csv', 'smiles\nCCO\n');
  expect(upload.status()).toBe(202);
});
