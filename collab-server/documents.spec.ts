import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accessForRole, documentKinds, MAX_DOCUMENT_NAME_LENGTH, resolveDocument, type DocumentKind } from './documents';

describe('document registry', () => {
  const id = randomUUID();

  it('resolves organization:<uuid> to the organisation kind and id', () => {
    const ref = resolveDocument(`organization:${id}`);
    expect(ref?.kind.kind).toBe('organization');
    expect(ref?.id).toBe(id);
  });

  it.each([
    ['unknown kind', `dashboard:${id}`],
    ['not a uuid', 'organization:42'],
    ['upper-case uuid (one name per organisation)', `organization:${id.toUpperCase()}`],
    ['suffix', `organization:${id}:draft`],
    ['prefix', ` organization:${id}`],
    ['trailing newline', `organization:${id}\n`],
    ['empty', ''],
    ['too long', `organization:${id}`.padEnd(MAX_DOCUMENT_NAME_LENGTH + 1, 'x')]
  ])('refuses %s', (_, name) => {
    expect(resolveDocument(name)).toBeNull();
  });

  it('maps roles to access', () => {
    expect(['owner', 'admin', 'scientist', 'viewer'].map((r) => accessForRole(r as never))).toEqual([
      'edit',
      'edit',
      'edit',
      'read'
    ]);
    expect(accessForRole(null)).toBeNull();
  });

  it('takes a new kind as one registry entry, first match wins', () => {
    const draft: DocumentKind = {
      kind: 'submission-draft',
      pattern: /^submission:([0-9a-f-]{36}):draft$/,
      authorize: async () => 'edit',
      organizationId: async () => null
    };
    const kinds = [...documentKinds, draft];
    expect(resolveDocument(`submission:${id}:draft`, kinds)).toMatchObject({ id, kind: { kind: 'submission-draft' } });
    expect(resolveDocument(`submission:${id}:quote`, kinds)).toBeNull();
    expect(resolveDocument(`organization:${id}`, kinds)?.kind.kind).toBe('organization');
  });
});
