/**
 * Libraries over HTTP against the real stack (web → collab-server → Postgres):
 * create, add molecules (ids, an import), the projected board, and who may do
 * what — role × share × action, including a viewer who tries to add a
 * molecule and a partner who tries to open an unshared library — then
 * history in words and restore.
 */
import { expect, test, type APIRequestContext } from '@playwright/test';
import { PASSWORD, uniqueEmail } from './support';

type Who = { token: string; user: { id: string; name: string }; organization: { id: string }; headers: Record<string, string> };

async function signup(request: APIRequestContext, name: string, kind: 'pharma' | 'cro' = 'pharma'): Promise<Who> {
  const res = await request.post('/api/v1/auth/signup', {
    data: { email: uniqueEmail(name.toLowerCase()), password: PASSWORD, name, organization: { name: `${name} ${kind}`, kind } }
  });
  expect(res.status()).toBe(201);
  const { data } = await res.json();
  return { ...data, headers: { Authorization: `Bearer ${data.token}` } };
}

/** `who` joins `owner`'s organisation with `role` and works in it from now on. */
async function join(request: APIRequestContext, owner: Who, who: Who, role: string) {
  const inv = await request.post(`/api/v1/organizations/${owner.organization.id}/invitations`, { headers: owner.headers, data: { role } });
  expect(inv.status()).toBe(201);
  const { token } = (await inv.json()).data;
  expect((await request.post(`/api/v1/invitations/${token}/accept`, { headers: who.headers })).status()).toBe(200);
  const sw = await request.put('/api/v1/users/me/active-organization', { headers: who.headers, data: { organization_id: owner.organization.id } });
  expect(sw.status()).toBe(200);
}

test('libraries: sharing rules for every role and partner, the projected board, history and restore', async ({ request }) => {
  const owner = await signup(request, 'Olga');
  const [sci, viewer, cro, stranger] = await Promise.all([
    signup(request, 'Sami'),
    signup(request, 'Vera'),
    signup(request, 'Carl', 'cro'),
    signup(request, 'Stan', 'cro')
  ]);
  await join(request, owner, sci, 'scientist');
  await join(request, owner, viewer, 'viewer');

  const ids: string[] = [];
  for (const smiles of ['c1ccccc1O', 'CCN(CC)CC', 'OC(=O)c1ccccc1']) {
    const r = await request.post('/api/v1/molecules', { headers: owner.headers, data: { smiles } });
    ids.push((await r.json()).data.id);
  }

  const created = await request.post('/api/v1/libraries', { headers: sci.headers, data: { name: 'Kinase hits', description: 'Round 1' } });
  expect(created.status()).toBe(201);
  const lib = (await created.json()).data;
  expect(lib).toMatchObject({ name: 'Kinase hits', access: 'edit', can_manage: true, molecule_count: 0 });
  expect((await request.post('/api/v1/libraries', { headers: viewer.headers, data: { name: 'Nope' } })).status()).toBe(403);
  const bad = await request.post('/api/v1/libraries', { headers: sci.headers, data: { name: '' } });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.details[0].field).toBe('name');

  const add = (who: Who, data: unknown) => request.post(`/api/v1/libraries/${lib.id}/molecules`, { headers: who.headers, data });
  const addRes = await add(sci, { molecule_ids: ids.slice(0, 2) });
  expect(addRes.status()).toBe(200);
  expect((await addRes.json()).data).toMatchObject({ added: 2, already_present: 0 });

  // The viewer sees the library but cannot add, remove or share.
  expect((await request.get(`/api/v1/libraries/${lib.id}`, { headers: viewer.headers })).status()).toBe(200);
  const denied = await add(viewer, { molecule_ids: [ids[2]] });
  expect(denied.status()).toBe(403);
  expect((await denied.json()).error.code).toBe('AUTHORIZATION_ERROR');
  expect((await request.delete(`/api/v1/libraries/${lib.id}/molecules/${ids[0]}`, { headers: viewer.headers })).status()).toBe(403);
  expect((await request.post(`/api/v1/libraries/${lib.id}/shares`, { headers: viewer.headers, data: { organization_id: cro.organization.id, access: 'view' } })).status()).toBe(403);

  // A partner cannot open an unshared library, nor see its molecules' pictures.
  expect((await request.get(`/api/v1/libraries/${lib.id}`, { headers: cro.headers })).status()).toBe(404);
  expect((await request.get(`/api/v1/libraries/${lib.id}/molecules`, { headers: cro.headers })).status()).toBe(404);
  expect((await request.get(`/api/v1/molecules/${ids[0]}/depiction.svg`, { headers: cro.headers })).status()).toBe(404);
  expect(await (await request.get('/api/v1/libraries', { headers: cro.headers })).json()).toMatchObject({ data: [] });

  // Shared with the CRO for viewing: it can read (and see pictures), not add.
  const dir = await request.get(`/api/v1/organizations/directory?q=${encodeURIComponent('Carl')}`, { headers: sci.headers });
  expect((await dir.json()).data).toEqual(expect.arrayContaining([expect.objectContaining({ id: cro.organization.id, kind: 'cro' })]));
  const share = await request.post(`/api/v1/libraries/${lib.id}/shares`, { headers: sci.headers, data: { organization_id: cro.organization.id, access: 'view' } });
  expect(share.status()).toBe(201);
  const croView = await request.get(`/api/v1/libraries/${lib.id}`, { headers: cro.headers });
  expect((await croView.json()).data).toMatchObject({ access: 'view', shared_with_you: true, molecule_count: 2 });
  expect((await request.get(`/api/v1/molecules/${ids[0]}/depiction.svg`, { headers: cro.headers })).status()).toBe(200);
  expect((await request.get(`/api/v1/molecules/${ids[2]}/depiction.svg`, { headers: cro.headers })).status()).toBe(404); // not on the board
  expect((await add(cro, { molecule_ids: [ids[2]] })).status()).toBe(403);

  // Upgraded to edit: the CRO adds a sponsor molecule, but cannot register new structures into the sponsor's registry.
  await request.post(`/api/v1/libraries/${lib.id}/shares`, { headers: sci.headers, data: { organization_id: cro.organization.id, access: 'edit' } });
  expect((await (await add(cro, { molecule_ids: [ids[2]] })).json()).data).toMatchObject({ added: 1 });
  expect((await add(cro, { smiles: ['CCCC'] })).status()).toBe(403);
  // Someone else's partner still sees nothing.
  expect((await request.get(`/api/v1/libraries/${lib.id}`, { headers: stranger.headers })).status()).toBe(404);

  // The projection: lanes with counts, molecules in board order.
  const detail = (await (await request.get(`/api/v1/libraries/${lib.id}`, { headers: owner.headers })).json()).data;
  expect(detail.lanes.map((l: { name: string; count: number }) => `${l.name}:${l.count}`)).toEqual(['Ideas:3', 'Make:0', 'Test:0', 'Advance:0', 'Drop:0']);
  expect(detail.shares).toEqual([expect.objectContaining({ access: 'edit', organization: expect.objectContaining({ id: cro.organization.id }) })]);
  const list = (await (await request.get(`/api/v1/libraries/${lib.id}/molecules`, { headers: viewer.headers })).json()) as {
    data: Array<{ molecule: { id: string; registry_number: string }; lane: string; position: number; tags: string[] }>;
    meta: { total: number };
  };
  expect(list.meta.total).toBe(3);
  expect(list.data.map((r) => [r.molecule.id, r.lane, r.position])).toEqual([
    [ids[0], 'Ideas', 0],
    [ids[1], 'Ideas', 1],
    [ids[2], 'Ideas', 2]
  ]);

  // Remove one (owner), then look at the history and go back to before the removal.
  expect((await request.delete(`/api/v1/libraries/${lib.id}/molecules/${ids[1]}`, { headers: owner.headers })).status()).toBe(200);
  expect((await request.delete(`/api/v1/libraries/${lib.id}/molecules/${ids[1]}`, { headers: owner.headers })).status()).toBe(404);
  const history = (await (await request.get(`/api/v1/libraries/${lib.id}/history`, { headers: viewer.headers })).json()).data as Array<{
    id: number;
    user: { name: string } | null;
    summary: Array<{ text: string }>;
  }>;
  const words = history.map((c) => `${c.user?.name ?? 'Crosslink'}: ${c.summary.map((s) => s.text).join('; ')}`);
  expect(words[0]).toBe(`Olga: removed ${list.data[1].molecule.registry_number}`);
  expect(words[1]).toBe(`Carl: added ${list.data[2].molecule.registry_number} to Ideas`);
  expect(words[2]).toBe('Sami: added 2 molecules');
  const version = await request.get(`/api/v1/libraries/${lib.id}/history/${history[1].id}`, { headers: viewer.headers });
  expect((await version.json()).data.board.cards).toHaveLength(3);

  expect((await request.post(`/api/v1/libraries/${lib.id}/history/${history[1].id}/restore`, { headers: viewer.headers })).status()).toBe(403);
  const restored = await request.post(`/api/v1/libraries/${lib.id}/history/${history[1].id}/restore`, { headers: sci.headers });
  expect(restored.status()).toBe(200);
  await expect
    .poll(async () => (await (await request.get(`/api/v1/libraries/${lib.id}`, { headers: owner.headers })).json()).data.molecule_count)
    .toBe(3);
  const after = (await (await request.get(`/api/v1/libraries/${lib.id}/history?limit=1`, { headers: owner.headers })).json()).data;
  expect(after[0]).toMatchObject({ user: { name: 'Sami' }, restored_from: history[1].id });

  // Archiving needs manage rights; the scientist created it, so may.
  expect((await request.patch(`/api/v1/libraries/${lib.id}`, { headers: viewer.headers, data: { archived: true } })).status()).toBe(403);
  expect((await request.patch(`/api/v1/libraries/${lib.id}`, { headers: sci.headers, data: { archived: true } })).status()).toBe(200);
  const listed = (await (await request.get('/api/v1/libraries', { headers: sci.headers })).json()).data;
  expect(listed.map((l: { id: string }) => l.id)).not.toContain(lib.id);
});

test('adding every molecule of an import', async ({ request }) => {
  const owner = await signup(request, 'Imogen');
  const csv = ['smiles,name', 'CCO,ethanol', 'CCCO,propanol', 'OCC,ethanol again', 'garbage,bad'].join('\n');
  const up = await request.post('/api/v1/imports', {
    headers: owner.headers,
    multipart: { file: { name: 'set.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) } }
  });
  expect(up.status()).toBe(202);
  const { id } = (await up.json()).data;
  await expect
    .poll(async () => (await (await request.get(`/api/v1/imports/${id}`, { headers: owner.headers })).json()).data.status, { timeout: 60_000 })
    .toBe('completed');
  const lib = (await (await request.post('/api/v1/libraries', { headers: owner.headers, data: { name: 'From import' } })).json()).data;
  const res = await request.post(`/api/v1/libraries/${lib.id}/molecules`, { headers: owner.headers, data: { import_id: id, lane_id: 'make' } });
  expect((await res.json()).data).toMatchObject({ added: 2, already_present: 0 });
  const detail = (await (await request.get(`/api/v1/libraries/${lib.id}`, { headers: owner.headers })).json()).data;
  expect(detail.lanes.find((l: { id: string }) => l.id === 'make').count).toBe(2);

  // Or straight into a library at upload: the worker adds the cards when the import completes.
  const target = (await (await request.post('/api/v1/libraries', { headers: owner.headers, data: { name: 'Direct' } })).json()).data;
  const direct = await request.post('/api/v1/imports', {
    headers: owner.headers,
    multipart: { file: { name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from('smiles\nCCCCO\nCCCCCO\n') }, library_id: target.id }
  });
  expect(direct.status()).toBe(202);
  await expect
    .poll(async () => (await (await request.get(`/api/v1/libraries/${target.id}`, { headers: owner.headers })).json()).data.molecule_count, { timeout: 60_000 })
    .toBe(2);
  const history = (await (await request.get(`/api/v1/libraries/${target.id}/history`, { headers: owner.headers })).json()).data;
  expect(history[0]).toMatchObject({ user: { name: 'Imogen' }, summary: [{ text: expect.stringMatching(/^added 2 molecules$/) }] });
  // A library of another organisation is refused at upload.
  const other = await signup(request, 'Otto');
  const foreign = (await (await request.post('/api/v1/libraries', { headers: other.headers, data: { name: 'Theirs' } })).json()).data;
  const refused = await request.post('/api/v1/imports', {
    headers: owner.headers,
    multipart: { file: { name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from('smiles\nCCO\n') }, library_id: foreign.id }
  });
  expect(refused.status()).toBe(404);
});

test('adding every registry molecule a search matches', async ({ request }) => {
  const owner = await signup(request, 'Quinn');
  const partner = await signup(request, 'Petra', 'cro');
  const made: Record<string, string> = {};
  for (const [smiles, name] of [['c1ccccc1O', 'phenol'], ['Cc1ccccc1O', 'o-cresol'], ['CCO', 'ethanol'], ['CCCCCCCCCCCCCCCC(=O)O', 'palmitic acid']]) {
    const r = await request.post('/api/v1/molecules', { headers: owner.headers, data: { smiles, name } });
    made[name] = (await r.json()).data.id;
  }
  const lib = (await (await request.post('/api/v1/libraries', { headers: owner.headers, data: { name: 'Small ones' } })).json()).data;
  const add = (who: Who, data: unknown) => request.post(`/api/v1/libraries/${lib.id}/molecules`, { headers: who.headers, data });

  // A filter on a stored descriptor plus a text search: phenol and o-cresol, not ethanol (too light) nor palmitic acid.
  const res = await add(owner, { query: { q: 'o', filter: ['average_mw:gt:60', 'average_mw:lt:200'] } });
  expect(res.status()).toBe(200);
  expect((await res.json()).data).toMatchObject({ added: 2, already_present: 0 });
  const rows = (await (await request.get(`/api/v1/libraries/${lib.id}/molecules`, { headers: owner.headers })).json()).data;
  expect(rows.map((r: { molecule: { id: string } }) => r.molecule.id).sort()).toEqual([made['phenol'], made['o-cresol']].sort());
  // The same search again adds nothing twice.
  expect((await (await add(owner, { query: { q: 'o', filter: ['average_mw:gt:60', 'average_mw:lt:200'] } })).json()).data).toMatchObject({ added: 0, already_present: 2 });

  // A malformed filter names the field; a partner with edit access cannot search the sponsor's registry.
  const bad = await add(owner, { query: { filter: ['average_mw>60'] } });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error).toMatchObject({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'filter' })] });
  await request.post(`/api/v1/libraries/${lib.id}/shares`, { headers: owner.headers, data: { organization_id: partner.organization.id, access: 'edit' } });
  const refused = await add(partner, { query: { q: 'palmitic' } });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.code).toBe('AUTHORIZATION_ERROR');
});
