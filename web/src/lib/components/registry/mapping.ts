/**
 * The import wizard's column roles ⇄ the API's Mapping
 * ({ structure, name, identifiers[], properties[] }).
 */
import { importMappingSchema, toIdentifierLabel, SDF_MOLBLOCK_COLUMN, SDF_TITLE_COLUMN } from '$common/import-mapping';
import type { Mapping } from './types';

export { SDF_MOLBLOCK_COLUMN, SDF_TITLE_COLUMN, toIdentifierLabel };

export type Role = 'ignore' | 'structure' | 'name' | 'identifier' | 'property';
export type ColumnRole = { column: string; role: Role; label: string; propName: string; unit: string };

export const ROLE_LABEL: Record<Role, string> = {
  ignore: 'Ignore',
  structure: 'Structure',
  name: 'Name',
  identifier: 'Identifier',
  property: 'Property'
};

export const columnTitle = (c: string) => (c === SDF_MOLBLOCK_COLUMN ? 'Molblock' : c === SDF_TITLE_COLUMN ? 'Title line' : c);

/** "IC50 (nM)", "IC50 [nM]", "IC50_nM" → name and unit. */
export function splitUnit(header: string): { name: string; unit: string } {
  const m = header.match(/^(.*?)[\s_]*[([]\s*([^()[\]]{1,32})\s*[)\]]\s*$/);
  if (m && m[1].trim()) return { name: m[1].trim(), unit: m[2].trim() };
  return { name: header.trim(), unit: '' };
}

export function blankRole(column: string): ColumnRole {
  const { name, unit } = splitUnit(column === SDF_TITLE_COLUMN ? 'title' : column);
  return { column, role: 'ignore', label: toIdentifierLabel(column === SDF_TITLE_COLUMN ? 'title' : column), propName: name, unit };
}

export function rolesFromMapping(columns: string[], mapping: Mapping | null | undefined): ColumnRole[] {
  const roles = columns.map(blankRole);
  if (!mapping) return roles;
  const at = (c: string) => roles.find((r) => r.column === c);
  const s = mapping.structure && at(mapping.structure.column);
  if (s) s.role = 'structure';
  const n = mapping.name && at(mapping.name.column);
  if (n && n.role === 'ignore') n.role = 'name';
  for (const i of mapping.identifiers ?? []) {
    const r = at(i.column);
    if (r && r.role === 'ignore') Object.assign(r, { role: 'identifier', label: i.label });
  }
  for (const p of mapping.properties ?? []) {
    const r = at(p.column);
    if (r && r.role === 'ignore') Object.assign(r, { role: 'property', propName: p.name, unit: p.unit ?? '' });
  }
  return roles;
}

/** Columns a mapping (e.g. a template) names that this file does not have. */
export function missingColumns(columns: string[], mapping: Mapping): string[] {
  const named = [mapping.structure?.column, mapping.name?.column, ...(mapping.identifiers ?? []).map((i) => i.column), ...(mapping.properties ?? []).map((p) => p.column)];
  return [...new Set(named.filter((c): c is string => !!c && !columns.includes(c)))];
}

export function mappingFromRoles(roles: ColumnRole[]): Mapping | null {
  const s = roles.find((r) => r.role === 'structure');
  if (!s) return null;
  const n = roles.find((r) => r.role === 'name');
  return {
    structure: { column: s.column, type: s.column === SDF_MOLBLOCK_COLUMN ? 'molblock' : 'smiles' },
    name: n ? { column: n.column } : null,
    identifiers: roles.filter((r) => r.role === 'identifier').map((r) => ({ column: r.column, label: r.label.trim() })),
    properties: roles.filter((r) => r.role === 'property').map((r) => ({ column: r.column, name: r.propName.trim(), unit: r.unit.trim() || null }))
  };
}

export type MappingProblems = { general: string[]; byColumn: Record<string, string> };

/** The same checks the API makes (shared schema), placed beside the column they concern. */
export function checkRoles(roles: ColumnRole[]): MappingProblems {
  const out: MappingProblems = { general: [], byColumn: {} };
  const mapping = mappingFromRoles(roles);
  if (!mapping) {
    out.general.push('Choose the column that holds the structure (SMILES or molblock).');
    return out;
  }
  const parsed = importMappingSchema.safeParse(mapping);
  if (parsed.success) return out;
  for (const issue of parsed.error.issues) {
    const [group, index] = issue.path as (string | number)[];
    let column: string | undefined;
    if (group === 'identifiers' && typeof index === 'number') column = mapping.identifiers[index]?.column;
    else if (group === 'properties' && typeof index === 'number') column = mapping.properties[index]?.column;
    else if (group === 'structure') column = mapping.structure.column;
    else if (group === 'name') column = mapping.name?.column;
    if (column && !out.byColumn[column]) out.byColumn[column] = issue.message;
    else if (!column) out.general.push(issue.message);
  }
  return out;
}
