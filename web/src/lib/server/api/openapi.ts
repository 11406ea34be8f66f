/**
 * The OpenAPI 3.1 document, built from the same zod schemas that validate
 * requests (zod 4's JSON Schema output is OpenAPI 3.1's dialect), so the
 * document cannot drift from the code. Served at /api/v1/openapi.json and
 * rendered at /api/docs. Every route file's every method has an operation here,
 * and every JSON success body a schema (openapi.spec.ts).
 */
import { z } from 'zod';
import * as s from './schemas';
import * as r from './registry-schemas';
import * as l from './library-schemas';
import { importMappingSchema } from '$common/import-mapping';

type Operation = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  public?: boolean;
  body?: z.ZodType;
  /** multipart/form-data fields (file uploads); `file` is binary. */
  multipart?: { required: string[]; fields: Record<string, { description: string; binary?: boolean }> };
  /** Query parameters, documented as strings. */
  query?: Record<string, string>;
  /** Success body types when not (only) JSON: CSV, SDF, SVG; `application/json` among them gets `ok.schema`. */
  produces?: string[];
  /** `schema` is the JSON success body; every operation has one unless it `produces` only files (openapi.spec.ts checks). */
  ok: { status: number; schema?: z.ZodType; description: string };
  errors?: number[];
  description?: string;
};

export const operations: Operation[] = [
  { method: 'get', path: '/health', tag: 'System', public: true, summary: 'Service health and dependency checks',
    description: '503 with the failing check when PostgreSQL or Redis is down.', ok: { status: 200, schema: s.healthResponse, description: 'All checks pass' }, errors: [503] },
  { method: 'post', path: '/auth/signup', tag: 'Auth', public: true, summary: 'Create an account and a new organisation',
    body: s.signupRequest, ok: { status: 201, schema: s.signupResponse, description: 'Signed up; `token` is a session token for Bearer auth' }, errors: [400, 409] },
  { method: 'post', path: '/auth/login', tag: 'Auth', public: true, summary: 'Sign in with email and password',
    description: 'Rate limited per IP and per account: 429 with Retry-After.', body: s.loginRequest, ok: { status: 200, schema: s.loginResponse, description: 'Signed in' }, errors: [400, 401, 429] },
  { method: 'post', path: '/auth/logout', tag: 'Auth', summary: 'End the calling session', ok: { status: 200, schema: s.signedOutResponse, description: 'Signed out' }, errors: [401] },
  { method: 'get', path: '/users/me', tag: 'Users', summary: 'The caller, with their organisations and roles', ok: { status: 200, schema: s.meResponse, description: 'The caller' }, errors: [401] },
  { method: 'put', path: '/users/me/active-organization', tag: 'Users', summary: 'Switch the session to another organisation',
    body: s.switchOrganizationRequest, ok: { status: 200, schema: s.switchOrganizationResponse, description: 'Switched' }, errors: [400, 401, 404] },
  { method: 'get', path: '/users/me/tokens', tag: 'API tokens', summary: "List the caller's API tokens", ok: { status: 200, schema: s.apiTokensResponse, description: 'Tokens (never the secret)' }, errors: [401] },
  { method: 'post', path: '/users/me/tokens', tag: 'API tokens', summary: 'Create an API token in the active organisation',
    description: 'The secret `token` is returned once; send it as `Authorization: Bearer <token>`.', body: s.createTokenRequest,
    ok: { status: 201, schema: s.createdApiTokenResponse, description: 'Created' }, errors: [400, 401, 403] },
  { method: 'delete', path: '/users/me/tokens/{id}', tag: 'API tokens', summary: 'Revoke an API token', ok: { status: 200, schema: s.revokedResponse, description: 'Revoked' }, errors: [401, 404] },
  { method: 'get', path: '/organizations/{id}/members', tag: 'Organisations', summary: 'Members of an organisation', ok: { status: 200, schema: s.membersResponse, description: 'Members' }, errors: [401, 404] },
  { method: 'patch', path: '/organizations/{id}/members/{userId}', tag: 'Organisations', summary: "Change a member's role (admin)",
    body: s.changeRoleRequest, ok: { status: 200, schema: s.roleChangedResponse, description: 'Changed' }, errors: [400, 401, 403, 404, 409] },
  { method: 'delete', path: '/organizations/{id}/members/{userId}', tag: 'Organisations', summary: 'Remove a member (admin) or leave', ok: { status: 200, schema: s.memberRemovedResponse, description: 'Removed' }, errors: [401, 403, 404, 409] },
  { method: 'get', path: '/organizations/{id}/invitations', tag: 'Organisations', summary: 'Open invitations (admin)', ok: { status: 200, schema: s.invitationsResponse, description: 'Invitations' }, errors: [401, 403, 404] },
  { method: 'post', path: '/organizations/{id}/invitations', tag: 'Organisations', summary: 'Invite someone by link with a role (admin)',
    description: 'Returns `url` once; the link is valid for 7 days and one use.', body: s.createInvitationRequest,
    ok: { status: 201, schema: s.createdInvitationResponse, description: 'Created' }, errors: [400, 401, 403, 404] },
  { method: 'delete', path: '/organizations/{id}/invitations/{invitationId}', tag: 'Organisations', summary: 'Revoke an invitation (admin)', ok: { status: 200, schema: s.revokedResponse, description: 'Revoked' }, errors: [401, 403, 404] },
  { method: 'get', path: '/audit/verification', tag: 'Audit', summary: "Verify the active organisation's audit trail (admin)",
    description: 'Recomputes the hash chain and checks it against every signed checkpoint: a rewritten, truncated or forged history answers `status: "broken"` with where and why.',
    ok: { status: 200, schema: s.auditVerificationResponse, description: 'The verification' }, errors: [401, 403] },
  { method: 'post', path: '/audit/checkpoints', tag: 'Audit', summary: 'Verify and sign the audit chain now (admin)',
    description: 'Checkpoints are also written every 10 minutes. An intact chain with new events gets a signed checkpoint; a broken one is refused with 409.',
    ok: { status: 201, schema: s.auditCheckpointResponse, description: 'Verified; `checkpoint` is null when the newest already covers the head' }, errors: [401, 403, 409, 503] },
  { method: 'get', path: '/invitations/{token}', tag: 'Organisations', public: true, summary: 'What an invitation link offers', ok: { status: 200, schema: s.invitationOfferResponse, description: 'Organisation and role' }, errors: [404, 409] },
  { method: 'post', path: '/invitations/{token}/accept', tag: 'Organisations', summary: 'Join the organisation of an invitation', ok: { status: 200, schema: s.joinedResponse, description: 'Joined' }, errors: [401, 403, 404, 409] },
  { method: 'get', path: '/notifications', tag: 'Notifications', summary: 'Latest notifications; `meta.total` is the unread count', query: { limit: '1–100 (default 30)' }, ok: { status: 200, schema: s.notificationsResponse, description: 'Notifications, newest first; also `X-Unread-Count`' }, errors: [401] },
  { method: 'post', path: '/notifications/read', tag: 'Notifications', summary: 'Mark notifications read', body: s.markReadRequest, ok: { status: 200, schema: s.markedReadResponse, description: 'Marked' }, errors: [400, 401] },

  // ── Registry
  { method: 'get', path: '/molecules', tag: 'Registry', summary: 'Molecules of the active organisation, paginated, sorted and filtered',
    query: {
      page: 'Page number, from 1', page_size: 'Rows per page, 1–200 (default 50)', q: 'Text: name, identifier, SMILES or InChIKey',
      sort: 'A column key or `prop:<name>`; prefix `-` for descending, e.g. `-average_mw`',
      filter: 'Repeatable `<field>:<op>:<value>` with op eq|ne|lt|lte|gt|gte|contains, e.g. `average_mw:gte:200`, `prop:IC50:lt:100`, `id:sponsor_id:eq:SP-1`',
      import_id: 'Only molecules an import brought', ids: 'Comma-separated molecule ids'
    },
    description: '`q` finds a structure in any SMILES spelling (it is canonicalised first) besides names, identifiers (synonyms included), InChIKey prefixes and registry numbers. `meta.total` is exact for the whole registry and for searches matching up to 10,000 molecules; above that it is the database\'s estimate and `meta.total_is_estimate` is true.',
    ok: { status: 200, schema: r.moleculesResponse, description: 'One page of molecules' }, errors: [400, 401] },
  { method: 'post', path: '/molecules', tag: 'Registry', summary: 'Register one molecule (or merge into the existing one with the same InChIKey)',
    description: '201 with `created: true` for a new structure; 200 with the existing `id` and `created: false` when it is already registered (any SMILES spelling); identifiers and properties are merged. A structure RDKit cannot read is 400 with its reason.',
    body: r.registerMoleculeRequest, ok: { status: 201, schema: r.registeredMoleculeResponse, description: 'Registered (200 when it already was)' }, errors: [400, 401, 403] },
  { method: 'get', path: '/molecules/fields', tag: 'Registry', summary: 'Sortable/filterable columns, identifier labels and property names in use', ok: { status: 200, schema: r.moleculeFieldsResponse, description: 'Fields' }, errors: [401] },
  { method: 'get', path: '/molecules/export', tag: 'Registry', summary: 'Export the filtered or selected molecules as CSV or SDF (streamed)',
    description: 'Takes the same filters as GET /molecules. CSV cells starting with = + - @ are prefixed with an apostrophe.',
    query: { format: '`csv` (default) or `sdf`', q: 'As for GET /molecules', filter: 'As for GET /molecules', import_id: 'As for GET /molecules', ids: 'As for GET /molecules' },
    produces: ['text/csv', 'chemical/x-mdl-sdfile'], ok: { status: 200, description: 'The file' }, errors: [400, 401] },
  { method: 'get', path: '/molecules/{id}', tag: 'Registry', summary: 'One molecule: structure, descriptors, identifiers, properties with sources, imports, history',
    description: '`name` is the first name it was registered under; `synonyms` lists the other names given when the same structure was registered again (also among `identifiers`, label `synonym`).',
    ok: { status: 200, schema: r.moleculeDetailResponse, description: 'The molecule' }, errors: [401, 404] },
  { method: 'get', path: '/molecules/{id}/depiction.svg', tag: 'Registry', summary: 'Structure picture (SVG from RDKit), cacheable forever',
    query: { w: 'Width in px (default 240)', h: 'Height in px' }, produces: ['image/svg+xml'], ok: { status: 200, description: 'SVG' }, errors: [401, 404] },
  { method: 'post', path: '/imports/preview', tag: 'Imports', summary: 'Read the start of a file: columns, first rows with pictures, a suggested mapping',
    multipart: { required: ['file'], fields: { file: { description: 'The start of a CSV, TSV or SDF file (optionally gzip)', binary: true } } },
    ok: { status: 200, schema: r.importPreviewResponse, description: 'Preview' }, errors: [400, 401, 413] },
  { method: 'post', path: '/imports', tag: 'Imports', summary: 'Upload a CSV, TSV or SDF file (optionally gzip) and queue its import',
    description: 'The file is streamed to disk and imported by the workers; follow it with GET /imports/{id} or socket.io `job:progress`. Without `mapping` the suggested mapping is used. Over the size limit: 413 naming the limit (a gzip file that expands past IMPORT_MAX_EXPANDED_BYTES or IMPORT_MAX_EXPANSION_RATIO fails its import with PAYLOAD_TOO_LARGE naming the limit). Job queue unavailable: 503, nothing queued.',
    multipart: { required: ['file'], fields: {
      file: { description: 'The file', binary: true },
      mapping: { description: 'JSON column mapping: ' + JSON.stringify(z.toJSONSchema(importMappingSchema, { io: 'input', unrepresentable: 'any' })) },
      template_id: { description: 'Use a saved import template instead of `mapping`' },
      library_id: { description: 'Add the registered molecules to this library' }
    } },
    ok: { status: 202, schema: r.importResponse, description: 'Queued' }, errors: [400, 401, 403, 413, 503] },
  { method: 'get', path: '/imports', tag: 'Imports', summary: 'Imports of the active organisation, newest first', query: { page: 'Page', page_size: 'Rows per page (at most 100)' }, ok: { status: 200, schema: r.importsResponse, description: 'Imports' }, errors: [401] },
  { method: 'get', path: '/imports/{id}', tag: 'Imports', summary: 'Status and counts: total_rows, processed_rows, registered, duplicates, invalid',
    description: '`status` is queued | running | completed | failed | cancelled | reverted; `registered + duplicates + invalid == total_rows` once completed.',
    ok: { status: 200, schema: r.importResponse, description: 'The import' }, errors: [401, 404] },
  { method: 'get', path: '/imports/{id}/errors', tag: 'Imports', summary: 'Rejected rows: row number, raw input, reason (JSON, or CSV with format=csv)',
    query: { format: '`json` (default) or `csv`', page: 'Page (JSON)', page_size: 'Rows per page (JSON)' }, produces: ['application/json', 'text/csv'],
    ok: { status: 200, schema: r.importErrorsResponse, description: 'Rejected rows (the JSON pages; CSV: one line per row)' }, errors: [401, 404] },
  { method: 'get', path: '/imports/{id}/duplicates', tag: 'Imports', summary: 'Rows that matched an already-registered molecule, with the registry number each matched',
    query: { page: 'Page', page_size: 'Rows per page (at most 500)' },
    ok: { status: 200, schema: r.importDuplicatesResponse, description: 'Duplicate rows in row order; `meta.total` counts them all' }, errors: [401, 404] },
  { method: 'post', path: '/imports/{id}/cancel', tag: 'Imports', summary: 'Stop a queued or running import: at once when no worker is on it, else after its current chunk',
    description: 'Molecules already registered stay and still get their descriptors; revert removes them.', ok: { status: 200, schema: r.importResponse, description: 'Cancelled or cancel requested' }, errors: [401, 403, 404, 409] },
  { method: 'post', path: '/imports/{id}/revert', tag: 'Imports', summary: 'Undo an import: remove the molecules it created (unless referenced elsewhere) and the identifiers and values it added',
    ok: { status: 200, schema: r.revertedImportResponse, description: 'Reverted' }, errors: [401, 403, 404, 409] },
  { method: 'get', path: '/import-templates', tag: 'Imports', summary: "The organisation's saved column mappings", ok: { status: 200, schema: r.importTemplatesResponse, description: 'Templates' }, errors: [401] },
  { method: 'post', path: '/import-templates', tag: 'Imports', summary: 'Save a column mapping as a named template (one per CRO format)', body: r.saveTemplateRequest, ok: { status: 201, schema: r.importTemplateResponse, description: 'Saved (200 when it replaced the template of that name)' }, errors: [400, 401, 403, 409] },
  { method: 'delete', path: '/import-templates/{id}', tag: 'Imports', summary: 'Delete a template', ok: { status: 200, schema: r.templateDeletedResponse, description: 'Deleted' }, errors: [401, 403, 404] },

  // ── Libraries
  { method: 'get', path: '/libraries', tag: 'Libraries', summary: "The active organisation's libraries you can see, and those shared with it",
    query: { archived: '`true` to include archived libraries' }, ok: { status: 200, schema: l.librariesResponse, description: 'Libraries with your `access` (view|edit), `can_manage`, `molecule_count`' }, errors: [401] },
  { method: 'post', path: '/libraries', tag: 'Libraries', summary: 'Create a library (scientist or above)', body: l.createLibraryRequest, ok: { status: 201, schema: l.createdLibraryResponse, description: 'Created' }, errors: [400, 401, 403] },
  { method: 'get', path: '/libraries/{id}', tag: 'Libraries', summary: 'A library with its board lanes and counts (and shares, for those who manage it)', ok: { status: 200, schema: l.libraryResponse, description: 'The library' }, errors: [401, 404] },
  { method: 'patch', path: '/libraries/{id}', tag: 'Libraries', summary: 'Rename, describe (edit); archive, set member access (manage)', body: l.updateLibraryRequest, ok: { status: 200, schema: l.libraryResponse, description: 'Updated' }, errors: [400, 401, 403, 404] },
  { method: 'get', path: '/libraries/{id}/molecules', tag: 'Libraries', summary: 'Molecules on the board in board order, with lane, position and tags',
    query: { page: 'Page', page_size: 'Rows per page, up to 5,000', lane: 'Only this lane id' }, ok: { status: 200, schema: l.libraryMoleculesResponse, description: 'Molecules' }, errors: [401, 404] },
  { method: 'post', path: '/libraries/{id}/molecules', tag: 'Libraries', summary: 'Add molecules (ids, every molecule of an import, every registry molecule matching a search, or SMILES); open boards show them at once',
    description: 'Goes through the live document on the collab-server, attributed to you. `smiles` registers new structures in the owning organisation (members only).',
    body: l.addLibraryMoleculesRequest, ok: { status: 200, schema: l.addedMoleculesResponse, description: 'Added' }, errors: [400, 401, 403, 404, 503] },
  { method: 'delete', path: '/libraries/{id}/molecules/{moleculeId}', tag: 'Libraries', summary: 'Take a molecule off the board', ok: { status: 200, schema: l.removedCardResponse, description: 'Removed' }, errors: [401, 403, 404] },
  { method: 'get', path: '/libraries/{id}/shares', tag: 'Libraries', summary: 'Shares (manage)', ok: { status: 200, schema: l.sharesResponse, description: 'Shares' }, errors: [401, 403, 404] },
  { method: 'post', path: '/libraries/{id}/shares', tag: 'Libraries', summary: 'Share with a member (user_id) or a partner organisation (organization_id), view or edit; again to change access',
    body: l.shareLibraryRequest, ok: { status: 201, schema: l.sharedResponse, description: 'Shared' }, errors: [400, 401, 403, 404] },
  { method: 'delete', path: '/libraries/{id}/shares/{shareId}', tag: 'Libraries', summary: 'Remove a share', ok: { status: 200, schema: l.shareRemovedResponse, description: 'Removed' }, errors: [401, 403, 404] },
  { method: 'get', path: '/libraries/{id}/people', tag: 'Libraries', summary: 'Everyone who can see the library (for @mentions)', ok: { status: 200, schema: l.peopleResponse, description: 'People' }, errors: [401, 404] },
  { method: 'get', path: '/libraries/{id}/history', tag: 'Libraries', summary: 'Board changes, newest first, attributed and in words',
    query: { before: 'Only changes older than this change id', limit: '1–200 (default 50)' }, ok: { status: 200, schema: l.historyResponse, description: 'Changes' }, errors: [401, 404] },
  { method: 'get', path: '/libraries/{id}/history/{changeId}', tag: 'Libraries', summary: 'The board as it was right after a change', ok: { status: 200, schema: l.boardVersionResponse, description: 'The version' }, errors: [401, 404] },
  { method: 'post', path: '/libraries/{id}/history/{changeId}/restore', tag: 'Libraries', summary: 'Bring the board back to that version, as a new change (edit)', ok: { status: 200, schema: l.restoredResponse, description: 'Restored' }, errors: [401, 403, 404, 503] },
  { method: 'get', path: '/organizations/directory', tag: 'Organisations', summary: 'Other organisations by name, to share a library with', query: { q: 'Part of the name' }, ok: { status: 200, schema: l.directoryResponse, description: 'Organisations (at most 20)' }, errors: [401] },
  { method: 'get', path: '/depict.svg', tag: 'Registry', summary: 'A picture of any SMILES (import previews), cacheable for a day',
    query: { smiles: 'The structure (at most 5,000 characters)', w: 'Width in px (default 160)', h: 'Height in px (default 120)' },
    produces: ['image/svg+xml'], ok: { status: 200, description: 'SVG' }, errors: [400, 401] },

  // ── This document
  { method: 'get', path: '/openapi.json', tag: 'System', public: true, summary: 'This OpenAPI 3.1 document (rendered at /api/docs)',
    ok: { status: 200, schema: z.record(z.string(), z.unknown()), description: 'The document' } }
];

const errorText: Record<number, string> = {
  400: 'VALIDATION_ERROR: `details` names each bad field',
  401: 'AUTHENTICATION_ERROR: no or bad credentials',
  403: 'AUTHORIZATION_ERROR: your role does not allow this',
  404: 'NOT_FOUND (also for things in organisations you are not in)',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE: the message names the limit',
  429: 'RATE_LIMITED: see Retry-After',
  503: 'SERVICE_UNAVAILABLE: a dependency is down'
};

/**
 * JSON Schema for one zod schema. Named schemas (`.meta({ id })`) come out in
 * `$defs`; they are hoisted into `components.schemas` and referenced from there.
 */
function schemaConverter(components: Record<string, unknown>) {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === '$schema') continue;
        if (k === '$defs') {
          for (const [name, def] of Object.entries(v as Record<string, unknown>)) components[name] ??= rewrite(def);
          continue;
        }
        out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewrite(v);
      }
      return out;
    }
    return node;
  };
  return (schema: z.ZodType, io: 'input' | 'output') =>
    rewrite(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }));
}

function multipartSchema(m: NonNullable<Operation['multipart']>) {
  const properties = Object.fromEntries(
    Object.entries(m.fields).map(([name, f]) => [name, f.binary ? { type: 'string', format: 'binary', description: f.description } : { type: 'string', description: f.description }])
  );
  return { type: 'object', required: m.required, properties };
}

export function buildOpenApiDocument(serverUrl: string) {
  const components: Record<string, unknown> = {};
  const convert = schemaConverter(components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const params: Array<Record<string, unknown>> = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' }
    }));
    for (const [name, description] of Object.entries(op.query ?? {})) params.push({ name, in: 'query', description, schema: { type: 'string' } });
    const responses: Record<string, unknown> = {
      [op.ok.status]: {
        description: op.ok.description,
        content: Object.fromEntries(
          (op.produces ?? ['application/json']).map((type) => [type, type === 'application/json' && op.ok.schema ? { schema: convert(op.ok.schema, 'output') } : {}])
        )
      }
    };
    for (const status of op.errors ?? []) {
      responses[status] = { description: errorText[status] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      ...(op.public ? { security: [] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: convert(op.body, 'input') } } } } : {}),
      ...(op.multipart ? { requestBody: { required: true, content: { 'multipart/form-data': { schema: multipartSchema(op.multipart) } } } } : {}),
      responses
    };
  }
  convert(s.errorBody, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Crosslink API',
      version: '1',
      description:
        'REST API of Crosslink. Success bodies are `{ data, meta? }`; failures are `{ error: { code, message, details? } }`. ' +
        'Authenticate with `Authorization: Bearer <token>`: a session token from /auth/login or an API token (clk_…).'
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, cookie: { type: 'apiKey', in: 'cookie', name: 'crosslink_session' } },
      schemas: components
    },
    paths
  };
}
