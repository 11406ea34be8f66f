/**
 * The column mapping of an import: which column holds the structure, the
 * name, the identifiers (label → column) and the properties (name, unit →
 * column). Shared by the web app (validates what the user picked, stores it
 * on the import and in templates) and the ingest worker (applies it to every
 * row). Types come from the schema (`z.infer`).
 *
 * Only checks that do not need the file live here; whether the named columns
 * exist in a given file is `checkMappingAgainstColumns`.
 */
import { z } from 'zod';
import { AppError } from './errors';

/** Most columns one mapping may use (structure + name + identifiers + properties). */
export const MAX_MAPPED_COLUMNS = 200;
/** The pseudo-column of an SD file that holds each record's molblock. */
export const SDF_MOLBLOCK_COLUMN = '$molblock';
/** The pseudo-column of an SD file that holds the first line of each molblock (often the compound id). */
export const SDF_TITLE_COLUMN = '$title';

const IDENTIFIER_LABEL = /^[a-z][a-z0-9_]*$/;

/** A column header as it appears in the file (after the reader made headers unique). */
const columnName = z
  .string({ error: 'Pick a column' })
  .max(500, { error: 'A column name can be at most 500 characters' })
  .refine((s) => s.trim().length > 0, { error: 'Pick a column; the column name is empty' });

export const structureMappingSchema = z.object({
  column: columnName,
  type: z.enum(['smiles', 'molblock'], { error: 'The structure type must be "smiles" or "molblock"' })
});

export const identifierMappingSchema = z.object({
  column: columnName,
  /** What kind of identifier it is, e.g. `sponsor_id`, `cro_batch_id`, `cas`. */
  label: z
    .string({ error: 'Give the identifier a label, e.g. sponsor_id' })
    .trim()
    .min(1, { error: 'Give the identifier a label, e.g. sponsor_id' })
    .max(64, { error: 'An identifier label can be at most 64 characters' })
    .regex(IDENTIFIER_LABEL, {
      error: (issue) =>
        `Use lowercase letters, digits and underscores, starting with a letter (e.g. "${toIdentifierLabel(String(issue.input ?? '')) || 'sponsor_id'}")`
    })
});

export const propertyMappingSchema = z.object({
  column: columnName,
  /** Property name as stored, e.g. `IC50`, `Solubility`. */
  name: z
    .string({ error: 'Give the property a name, e.g. IC50' })
    .trim()
    .min(1, { error: 'Give the property a name, e.g. IC50' })
    .max(100, { error: 'A property name can be at most 100 characters' }),
  /** Unit of every value in the column, e.g. `nM`; empty or null for none. */
  unit: z.string().trim().max(32, { error: 'A unit can be at most 32 characters' }).nullable().optional()
});

export const importMappingSchema = z
  .object({
    structure: structureMappingSchema,
    name: z.object({ column: columnName }).nullable().optional(),
    identifiers: z
      .array(identifierMappingSchema)
      .max(MAX_MAPPED_COLUMNS, { error: `At most ${MAX_MAPPED_COLUMNS} identifier columns can be mapped` })
      .default([]),
    properties: z
      .array(propertyMappingSchema)
      .max(MAX_MAPPED_COLUMNS, { error: `At most ${MAX_MAPPED_COLUMNS} property columns can be mapped` })
      .default([])
  })
  .superRefine((m, ctx) => {
    if (m.structure.column === SDF_MOLBLOCK_COLUMN && m.structure.type !== 'molblock') {
      ctx.addIssue({
        code: 'custom',
        path: ['structure', 'type'],
        message: `The ${SDF_MOLBLOCK_COLUMN} column of an SD file holds molblocks; set the type to "molblock"`
      });
    }
    const labels = new Map<string, number>();
    m.identifiers.forEach((id, i) => {
      const first = labels.get(id.label);
      if (first === undefined) labels.set(id.label, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['identifiers', i, 'label'],
          message: `The label "${id.label}" is already used for column "${m.identifiers[first].column}"; each identifier needs its own label`
        });
    });
    const names = new Map<string, number>();
    m.properties.forEach((p, i) => {
      const key = p.name.toLowerCase();
      const first = names.get(key);
      if (first === undefined) names.set(key, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['properties', i, 'name'],
          message: `Two properties are called "${p.name}" (columns "${m.properties[first].column}" and "${p.column}"); give each its own name`
        });
    });
    const used = mappedColumnCount(m);
    if (used > MAX_MAPPED_COLUMNS) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `A mapping can use at most ${MAX_MAPPED_COLUMNS} columns; this one uses ${used}. Leave out the columns you do not need.`
      });
    }
  })
  .meta({ id: 'ImportMapping' });

export type ImportMapping = z.infer<typeof importMappingSchema>;
export type StructureMapping = z.infer<typeof structureMappingSchema>;
export type IdentifierMapping = z.infer<typeof identifierMappingSchema>;
export type PropertyMapping = z.infer<typeof propertyMappingSchema>;

/** How many file columns a mapping reads (structure + name + identifiers + properties). */
export function mappedColumnCount(m: Pick<ImportMapping, 'name' | 'identifiers' | 'properties'>): number {
  return 1 + (m.name ? 1 : 0) + m.identifiers.length + m.properties.length;
}

/**
 * A valid identifier label from a header or free text: `Sponsor ID` →
 * `sponsor_id`, `CRO Batch-ID` → `cro_batch_id`, `Lot #` → `lot`,
 * `1st ID` → `id_1st`. Empty when nothing usable is left.
 */
export function toIdentifierLabel(text: string): string {
  let s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // camelCase / PascalCase boundaries: CompoundID → Compound_ID, sponsorId → sponsor_Id
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (/^[0-9]/.test(s)) s = `id_${s}`;
  return s.slice(0, 64).replace(/_+$/, '');
}

interface ColumnUse {
  field: string;
  column: string;
  role: string;
}

function columnUses(m: ImportMapping): ColumnUse[] {
  const uses: ColumnUse[] = [{ field: 'mapping.structure.column', column: m.structure.column, role: 'structure' }];
  if (m.name) uses.push({ field: 'mapping.name.column', column: m.name.column, role: 'name' });
  m.identifiers.forEach((id, i) =>
    uses.push({ field: `mapping.identifiers.${i}.column`, column: id.column, role: `identifier "${id.label}"` })
  );
  m.properties.forEach((p, i) => uses.push({ field: `mapping.properties.${i}.column`, column: p.column, role: `property "${p.name}"` }));
  return uses;
}

/**
 * Throws VALIDATION_ERROR when the mapping names columns the file does not
 * have (one detail per missing column, with the file's columns listed), so a
 * template made for another CRO's format fails before any row is read.
 */
export function checkMappingAgainstColumns(mapping: ImportMapping, columns: readonly string[]): void {
  const have = new Set(columns);
  const missing = columnUses(mapping).filter((u) => !have.has(u.column));
  if (missing.length === 0) return;
  const listed = columns.length > 40 ? `${columns.slice(0, 40).join(', ')}, … (${columns.length} in all)` : columns.join(', ');
  const quoted = (us: ColumnUse[]) => [...new Set(us.map((u) => `"${u.column}"`))].join(', ');
  const others = missing.filter((u) => u.role !== 'structure');
  const message =
    others.length < missing.length
      ? `The file has no structure column "${mapping.structure.column}"${others.length ? ` (also missing: ${quoted(others)})` : ''}. ` +
        `The file's columns are: ${listed || '(none)'}`
      : `The mapping uses ${others.length === 1 ? 'a column' : 'columns'} the file does not have: ${quoted(others)}. ` +
        `The file's columns are: ${listed || '(none)'}`;
  throw new AppError(
    'VALIDATION_ERROR',
    message,
    missing.map((u) => ({
      field: u.field,
      message:
        u.column === SDF_MOLBLOCK_COLUMN
          ? `"${SDF_MOLBLOCK_COLUMN}" (${u.role}) exists only in SD files; pick the SMILES column of this file`
          : `column "${u.column}" (${u.role}) is not in the file`,
      column: u.column
    }))
  );
}
