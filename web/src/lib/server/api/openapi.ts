/**
 * The OpenAPI 3.1 document, built from the same zod schemas that validate
 * requests (zod 4's JSON Schema output is OpenAPI 3.1's dialect), so the
 * document cannot drift from the code. Served at /api/v1/openapi.json and
 * rendered at /api/docs.
 */
import { z } from 'zod';
import * as s from './schemas';

type Operation = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  public?: boolean;
  body?: z.ZodType;
  ok: { status: number; schema?: z.ZodType; description: string };
  errors?: number[];
  description?: string;
};

const data = (schema: z.ZodType) => z.object({ data: schema });

export const operations: Operation[] = [
  { method: 'get', path: '/health', tag: 'System', public: true, summary: 'Service health and dependency checks',
    description: '503 with the failing check when PostgreSQL or Redis is down.', ok: { status: 200, schema: s.healthResponse, description: 'All checks pass' }, errors: [503] },
  { method: 'post', path: '/auth/signup', tag: 'Auth', public: true, summary: 'Create an account and a new organisation',
    body: s.signupRequest, ok: { status: 201, schema: s.signupResponse, description: 'Signed up; `token` is a session token for Bearer auth' }, errors: [400, 409] },
  { method: 'post', path: '/auth/login', tag: 'Auth', public: true, summary: 'Sign in with email and password',
    description: 'Rate limited per IP and per account: 429 with Retry-After.', body: s.loginRequest, ok: { status: 200, schema: s.loginResponse, description: 'Signed in' }, errors: [400, 401, 429] },
  { method: 'post', path: '/auth/logout', tag: 'Auth', summary: 'End the calling session', ok: { status: 200, description: 'Signed out' }, errors: [401] },
  { method: 'get', path: '/users/me', tag: 'Users', summary: 'The caller, with their organisations and roles', ok: { status: 200, schema: s.meResponse, description: 'The caller' }, errors: [401] },
  { method: 'put', path: '/users/me/active-organization', tag: 'Users', summary: 'Switch the session to another organisation',
    body: s.switchOrganizationRequest, ok: { status: 200, schema: data(z.object({ organization: s.organization })), description: 'Switched' }, errors: [400, 401, 404] },
  { method: 'get', path: '/users/me/tokens', tag: 'API tokens', summary: "List the caller's API tokens", ok: { status: 200, schema: data(z.array(s.apiToken)), description: 'Tokens (never the secret)' }, errors: [401] },
  { method: 'post', path: '/users/me/tokens', tag: 'API tokens', summary: 'Create an API token in the active organisation',
    description: 'The secret `token` is returned once; send it as `Authorization: Bearer <token>`.', body: s.createTokenRequest,
    ok: { status: 201, schema: data(s.apiToken.extend({ token: z.string() })), description: 'Created' }, errors: [400, 401, 403] },
  { method: 'delete', path: '/users/me/tokens/{id}', tag: 'API tokens', summary: 'Revoke an API token', ok: { status: 200, description: 'Revoked' }, errors: [401, 404] },
  { method: 'get', path: '/organizations/{id}/members', tag: 'Organisations', summary: 'Members of an organisation', ok: { status: 200, schema: data(z.array(s.member)), description: 'Members' }, errors: [401, 404] },
  { method: 'patch', path: '/organizations/{id}/members/{userId}', tag: 'Organisations', summary: "Change a member's role (admin)",
    body: s.changeRoleRequest, ok: { status: 200, description: 'Changed' }, errors: [400, 401, 403, 404, 409] },
  { method: 'delete', path: '/organizations/{id}/members/{userId}', tag: 'Organisations', summary: 'Remove a member (admin) or leave', ok: { status: 200, description: 'Removed' }, errors: [401, 403, 404, 409] },
  { method: 'get', path: '/organizations/{id}/invitations', tag: 'Organisations', summary: 'Open invitations (admin)', ok: { status: 200, schema: data(z.array(s.invitation)), description: 'Invitations' }, errors: [401, 403, 404] },
  { method: 'post', path: '/organizations/{id}/invitations', tag: 'Organisations', summary: 'Invite someone by link with a role (admin)',
    description: 'Returns `url` once; the link is valid for 7 days and one use.', body: s.createInvitationRequest,
    ok: { status: 201, schema: data(s.invitation.extend({ token: z.string(), url: z.string() })), description: 'Created' }, errors: [400, 401, 403, 404] },
  { method: 'delete', path: '/organizations/{id}/invitations/{invitationId}', tag: 'Organisations', summary: 'Revoke an invitation (admin)', ok: { status: 200, description: 'Revoked' }, errors: [401, 403, 404] },
  { method: 'get', path: '/invitations/{token}', tag: 'Organisations', public: true, summary: 'What an invitation link offers', ok: { status: 200, description: 'Organisation and role' }, errors: [404, 409] },
  { method: 'post', path: '/invitations/{token}/accept', tag: 'Organisations', summary: 'Join the organisation of an invitation', ok: { status: 200, description: 'Joined' }, errors: [401, 403, 404, 409] },
  { method: 'get', path: '/notifications', tag: 'Notifications', summary: 'Latest notifications; `meta.total` is the unread count', ok: { status: 200, schema: data(z.array(s.notification)), description: 'Notifications' }, errors: [401] },
  { method: 'post', path: '/notifications/read', tag: 'Notifications', summary: 'Mark notifications read', body: s.markReadRequest, ok: { status: 200, description: 'Marked' }, errors: [400, 401] }
];

const errorText: Record<number, string> = {
  400: 'VALIDATION_ERROR: `details` names each bad field',
  401: 'AUTHENTICATION_ERROR: no or bad credentials',
  403: 'AUTHORIZATION_ERROR: your role does not allow this',
  404: 'NOT_FOUND (also for things in organisations you are not in)',
  409: 'CONFLICT',
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

export function buildOpenApiDocument(serverUrl: string) {
  const components: Record<string, unknown> = {};
  const convert = schemaConverter(components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' }
    }));
    const responses: Record<string, unknown> = {
      [op.ok.status]: {
        description: op.ok.description,
        ...(op.ok.schema ? { content: { 'application/json': { schema: convert(op.ok.schema, 'output') } } } : {})
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
