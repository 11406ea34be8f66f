/**
 * The API answers what its OpenAPI document says: real handlers, called as
 * SvelteKit calls them, against a real database, and each success body parsed
 * with the response schema of its operation (openapi.ts), strictly: a field
 * the schema does not name is a failure too, so a presenter and its schema
 * cannot drift apart unnoticed. (Routes that need the collab-server or the
 * workers are covered by the e2e specs.)
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authenticateToken, type Actor } from '$db/auth';
import { createImport } from '$db/access/imports';
import { libraryMolecules } from '$db/schema';
import { operations } from '$lib/server/api/openapi';
import { newOrganization, testDbs } from '../../db/test/fixtures';
import * as me from '../src/routes/api/v1/users/me/+server';
import * as tokens from '../src/routes/api/v1/users/me/tokens/+server';
import * as members from '../src/routes/api/v1/organizations/[id]/members/+server';
import * as invitations from '../src/routes/api/v1/organizations/[id]/invitations/+server';
import * as invitationOffer from '../src/routes/api/v1/invitations/[token]/+server';
import * as directory from '../src/routes/api/v1/organizations/directory/+server';
import * as notifications from '../src/routes/api/v1/notifications/+server';
import * as moleculesRoute from '../src/routes/api/v1/molecules/+server';
import * as molecule from '../src/routes/api/v1/molecules/[id]/+server';
import * as fields from '../src/routes/api/v1/molecules/fields/+server';
import * as templates from '../src/routes/api/v1/import-templates/+server';
import * as importsRoute from '../src/routes/api/v1/imports/+server';
import * as importRoute from '../src/routes/api/v1/imports/[id]/+server';
import * as importErrors from '../src/routes/api/v1/imports/[id]/errors/+server';
import * as libraries from '../src/routes/api/v1/libraries/+server';
import * as library from '../src/routes/api/v1/libraries/[id]/+server';
import * as shares from '../src/routes/api/v1/libraries/[id]/shares/+server';
import * as people from '../src/routes/api/v1/libraries/[id]/people/+server';
import * as history from '../src/routes/api/v1/libraries/[id]/history/+server';
import * as libraryMoleculesRoute from '../src/routes/api/v1/libraries/[id]/molecules/+server';

const { db } = testDbs();

type Handler = (event: never) => Promise<Response> | Response;

/** Call `handler` as SvelteKit would for `method path` and parse its body with the operation's schema. */
async function call(handler: Handler, method: string, path: string, opts: { actor: Actor | null; params?: Record<string, string>; body?: unknown; search?: string }) {
  const op = operations.find((o) => o.method === method.toLowerCase() && o.path === path);
  if (!op?.ok.schema) throw new Error(`no operation with a schema for ${method} ${path}`);
  const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) => opts.params?.[name] ?? name);
  const url = new URL(`http://localhost/api/v1${concrete}${opts.search ?? ''}`);
  const request = new Request(url, opts.body === undefined ? { method } : { method, body: JSON.stringify(opts.body), headers: { 'content-type': 'application/json' } });
  const event = { locals: { actor: opts.actor, token: null }, params: opts.params ?? {}, url, request, getClientAddress: () => '127.0.0.1' };
  const res = await handler(event as never);
  const json = await res.json();
  expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
  return strict(op.ok.schema).parse(json) as { data: any; meta?: unknown }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The schema with every object strict (unknown keys are an error), however deep. */
function strict(schema: z.ZodType): z.ZodType {
  const s = schema as z.ZodType & { def: Record<string, unknown> };
  if (s instanceof z.ZodObject) return z.strictObject(Object.fromEntries(Object.entries(s.shape).map(([k, v]) => [k, strict(v as z.ZodType)])));
  if (s instanceof z.ZodArray) return z.array(strict(s.element as z.ZodType));
  if (s instanceof z.ZodNullable) return strict(s.unwrap() as z.ZodType).nullable();
  if (s instanceof z.ZodOptional) return strict(s.unwrap() as z.ZodType).optional();
  if (s instanceof z.ZodRecord) return z.record(s.keyType as z.ZodString, strict(s.valueType as z.ZodType));
  return schema;
}

async function ownerOf(kind: 'pharma' | 'cro' = 'pharma') {
  const org = await newOrganization(db, kind);
  return (await authenticateToken(db, org.token))!;
}

describe('response bodies match their schemas', () => {
  it('accounts, organisations, tokens, invitations, notifications', async () => {
    const actor = await ownerOf();
    const orgId = actor.organization!.id;
    const partner = await ownerOf('cro');

    const who = await call(me.GET, 'GET', '/users/me', { actor });
    expect(who.data).toMatchObject({ id: actor.user.id, active_organization_id: orgId });

    const created = await call(tokens.POST, 'POST', '/users/me/tokens', { actor, body: { name: 'ci', expires_in_days: 30 } });
    expect(created.data.token).toMatch(/^clk_/);
    const listed = await call(tokens.GET, 'GET', '/users/me/tokens', { actor });
    expect(listed.data.map((t: { id: string }) => t.id)).toContain(created.data.id);
    expect(JSON.stringify(listed.data)).not.toContain(created.data.token);

    const team = await call(members.GET, 'GET', '/organizations/{id}/members', { actor, params: { id: orgId } });
    expect(team.data).toEqual([expect.objectContaining({ role: 'owner', user: expect.objectContaining({ id: actor.user.id }) })]);

    const invited = await call(invitations.POST, 'POST', '/organizations/{id}/invitations', { actor, params: { id: orgId }, body: { role: 'viewer', email: 'Someone@Example.com' } });
    expect(invited.data).toMatchObject({ role: 'viewer', email: 'someone@example.com', accepted_at: null });
    const open = await call(invitations.GET, 'GET', '/organizations/{id}/invitations', { actor, params: { id: orgId } });
    expect(open.data.map((i: { id: string }) => i.id)).toEqual([invited.data.id]);
    const offer = await call(invitationOffer.GET, 'GET', '/invitations/{token}', { actor: null, params: { token: invited.data.token } });
    expect(offer.data).toMatchObject({ role: 'viewer', organization: { id: orgId } });

    const found = await call(directory.GET, 'GET', '/organizations/directory', { actor, search: `?q=${encodeURIComponent(partner.organization!.name)}` });
    expect(found.data).toEqual([partner.organization]);

    const bell = await call(notifications.GET, 'GET', '/notifications', { actor });
    expect(bell.meta).toMatchObject({ total: 0 });
  });

  it('molecules, fields, templates and imports', async () => {
    const actor = await ownerOf();
    const registered = await call(moleculesRoute.POST, 'POST', '/molecules', {
      actor,
      body: { smiles: 'OC(=O)c1ccccc1OC(C)=O', name: 'aspirin', external_ids: { sponsor_id: 'SP-1' }, properties: { IC50: { value: 12.5, unit: 'nM' } } }
    });
    expect(registered.data).toMatchObject({ created: true, name: 'aspirin', registry_number: expect.stringMatching(/^CX-\d{6}$/) });

    const page = await call(moleculesRoute.GET, 'GET', '/molecules', { actor });
    expect(page.data[0]).toMatchObject({ id: registered.data.id, properties: { IC50: { value: 12.5, unit: 'nM' } } });
    expect(page.meta).toMatchObject({ page: 1, total: 1 });
    const detail = await call(molecule.GET, 'GET', '/molecules/{id}', { actor, params: { id: registered.data.id } });
    expect(detail.data).toMatchObject({ libraries: [], identifiers: [expect.objectContaining({ label: 'sponsor_id', value: 'SP-1' })] });
    const f = await call(fields.GET, 'GET', '/molecules/fields', { actor });
    expect(f.data.properties).toEqual([{ name: 'IC50', unit: 'nM', count: 1 }]);

    const mapping = { structure: { column: 'smiles', type: 'smiles' }, identifiers: [], properties: [{ column: 'ic50', name: 'IC50', unit: 'nM' }] };
    const saved = await call(templates.POST, 'POST', '/import-templates', { actor, body: { name: 'CRO A', mapping } });
    expect(saved.data).toMatchObject({ name: 'CRO A', mapping: { structure: { column: 'smiles' } } });
    const all = await call(templates.GET, 'GET', '/import-templates', { actor });
    expect(all.data.map((t: { id: string }) => t.id)).toEqual([saved.data.id]);

    const row = await createImport(
      db,
      actor,
      { filename: 'a.csv', format: 'csv', compression: null, encoding: 'utf-8', sizeBytes: 10, storagePath: '/nonexistent/a.csv', mapping },
      { via: 'api' }
    );
    const one = await call(importRoute.GET, 'GET', '/imports/{id}', { actor, params: { id: row.id } });
    expect(one.data).toMatchObject({ id: row.id, status: 'queued', created_by: { id: actor.user.id }, cancel_requested: false });
    const list = await call(importsRoute.GET, 'GET', '/imports', { actor });
    expect(list.data.map((i: { id: string }) => i.id)).toEqual([row.id]);
    const errors = await call(importErrors.GET, 'GET', '/imports/{id}/errors', { actor, params: { id: row.id } });
    expect(errors.data).toEqual([]);
  });

  it('libraries, shares, people, history and cards', async () => {
    const actor = await ownerOf();
    const partner = await ownerOf('cro');
    const made = await call(libraries.POST, 'POST', '/libraries', { actor, body: { name: 'Kinase hits', member_access: 'view' } });
    expect(made.data).toMatchObject({ name: 'Kinase hits', access: 'edit', can_manage: true, molecule_count: 0, shared_with_you: false });

    const shared = await call(shares.POST, 'POST', '/libraries/{id}/shares', { actor, params: { id: made.data.id }, body: { organization_id: partner.organization!.id, access: 'view' } });
    expect(shared.data).toMatchObject({ access: 'view', organization_id: partner.organization!.id, user_id: null });
    const list = await call(shares.GET, 'GET', '/libraries/{id}/shares', { actor, params: { id: made.data.id } });
    expect(list.data).toEqual([expect.objectContaining({ id: shared.data.id, organization: partner.organization, user: null })]);

    const renamed = await call(library.PATCH, 'PATCH', '/libraries/{id}', { actor, params: { id: made.data.id }, body: { description: 'From the HTS' } });
    expect(renamed.data).toMatchObject({ description: 'From the HTS', shares: [expect.objectContaining({ id: shared.data.id })] });
    const seenByPartner = await call(library.GET, 'GET', '/libraries/{id}', { actor: partner, params: { id: made.data.id } });
    expect(seenByPartner.data).toMatchObject({ access: 'view', shared_with_you: true, can_manage: false });
    expect(seenByPartner.data.shares).toBeUndefined();
    const theirs = await call(libraries.GET, 'GET', '/libraries', { actor: partner });
    expect(theirs.data.map((l: { id: string }) => l.id)).toEqual([made.data.id]);

    const who = await call(people.GET, 'GET', '/libraries/{id}/people', { actor, params: { id: made.data.id } });
    expect(who.data.map((p: { id: string }) => p.id).sort()).toEqual([actor.user.id, partner.user.id].sort());
    const changes = await call(history.GET, 'GET', '/libraries/{id}/history', { actor, params: { id: made.data.id } });
    expect(changes.data).toEqual([]);

    // A card as the collab-server's projection writes it (the live path is covered end to end).
    const registered = await call(moleculesRoute.POST, 'POST', '/molecules', { actor, body: { smiles: 'CCO', properties: { Solubility: { value: '>10', unit: 'mM' } } } });
    await db.insert(libraryMolecules).values({ libraryId: made.data.id, moleculeId: registered.data.id, laneId: 'ideas', lane: 'Ideas', laneOrder: 0, position: 0, tags: ['potent'] });
    const cards = await call(libraryMoleculesRoute.GET, 'GET', '/libraries/{id}/molecules', { actor: partner, params: { id: made.data.id } });
    expect(cards.data).toEqual([
      expect.objectContaining({ lane_id: 'ideas', tags: ['potent'], molecule: expect.objectContaining({ id: registered.data.id, properties: { Solubility: { value: null, value_text: '>10', unit: 'mM' } } }) })
    ]);
  });
});
