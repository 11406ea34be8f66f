/**
 * The OpenAPI document covers the API: every exported method of every route
 * file under web/src/routes/api has an operation (and no operation is left
 * without its route), and every JSON success body has a schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { json } from '@sveltejs/kit';
import { describe, expect, it, vi } from 'vitest';
import { buildOpenApiDocument, operations } from './openapi';
import { endpoint, ok, warnOnContractDrift } from './respond';

const apiRoot = path.resolve(import.meta.dirname, '../../../routes/api');
const METHOD_EXPORT = /export\s+(?:const|let|(?:async\s+)?function)\s+(GET|POST|PUT|PATCH|DELETE)\b/g;

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? routeFiles(path.join(dir, e.name)) : e.name === '+server.ts' ? [path.join(dir, e.name)] : []
  );
}

/** `web/src/routes/api/v1/libraries/[id]/+server.ts` → `/libraries/{id}` (paths in the document are relative to /api/v1). */
function documentPath(file: string): string {
  const segments = path.relative(apiRoot, path.dirname(file)).split(path.sep);
  const underV1 = segments[0] === 'v1';
  const rest = (underV1 ? segments.slice(1) : ['..', ...segments]).map((s) => s.replace(/^\[(\w+)\]$/, '{$1}'));
  return '/' + rest.join('/');
}

const routes = routeFiles(apiRoot).map((file) => ({
  file: path.relative(apiRoot, file),
  path: documentPath(file),
  methods: [...readFileSync(file, 'utf8').matchAll(METHOD_EXPORT)].map((m) => m[1].toLowerCase())
}));
const key = (method: string, p: string) => `${method.toUpperCase()} ${p}`;

describe('the OpenAPI document', () => {
  it('reads the route files it checks', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(documentPath(path.join(apiRoot, 'v1/libraries/[id]/history/[changeId]/+server.ts'))).toBe('/libraries/{id}/history/{changeId}');
    // A route file that exports no method would be checked against nothing.
    for (const r of routes) expect(r.methods, r.file).not.toEqual([]);
  });

  it('has an operation for every exported method of every route file', () => {
    const documented = new Set(operations.map((op) => key(op.method, op.path)));
    const missing = routes.flatMap((r) => r.methods.map((m) => key(m, r.path))).filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
  });

  it('has no operation without a route, and none twice', () => {
    const served = new Set(routes.flatMap((r) => r.methods.map((m) => key(m, r.path))));
    const keys = operations.map((op) => key(op.method, op.path));
    expect(keys.filter((k) => !served.has(k))).toEqual([]);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('describes every JSON success body with a schema', () => {
    const withoutSchema = operations
      .filter((op) => !op.ok.schema && (!op.produces || op.produces.includes('application/json')))
      .map((op) => key(op.method, op.path));
    expect(withoutSchema).toEqual([]);

    const doc = buildOpenApiDocument('http://localhost');
    for (const op of operations) {
      const response = doc.paths[op.path][op.method] as { responses: Record<string, { content: Record<string, { schema?: unknown }> }> };
      const content = response.responses[op.ok.status].content;
      if (content['application/json']) expect(content['application/json'].schema, key(op.method, op.path)).toBeTruthy();
    }
  });

  it('resolves every $ref to a component', () => {
    const doc = buildOpenApiDocument('http://localhost');
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((name) => !(name in doc.components.schemas))).toEqual([]);
  });
});

describe('in development, a handler whose body drifts from its schema', () => {
  const event = (id: string) => ({ route: { id }, request: new Request('http://localhost' + id, { method: 'POST' }) }) as never;

  it('is logged, and answers as it would anyway', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await warnOnContractDrift(event('/api/v1/auth/logout'), ok({ signed_out: 'yes' }));
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('POST /api/v1/auth/logout'), expect.stringContaining('signed_out'));
      warn.mockClear();
      await warnOnContractDrift(event('/api/v1/auth/logout'), json({ data: { signed_out: true } }));
      expect(warn).not.toHaveBeenCalled();

      // endpoint() runs the check beside the answer, which goes out unchanged.
      const drifted = await endpoint(() => ok({ signed_out: 'yes' }))(event('/api/v1/auth/logout'));
      expect(await drifted.json()).toEqual({ data: { signed_out: 'yes' } });
      await vi.waitFor(() => expect(warn).toHaveBeenCalledWith(expect.stringContaining('POST /api/v1/auth/logout'), expect.stringContaining('signed_out')));
    } finally {
      warn.mockRestore();
    }
  });
});
