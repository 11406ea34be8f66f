/**
 * Request and response schemas of the registry API (molecules, imports,
 * templates); see schemas.ts for how they are used. Descriptor fields come from
 * the one declaration (chem/descriptors.ts), enums from db/schema.ts.
 */
import { z } from 'zod';
import { importMappingSchema } from '$common/import-mapping';
import { byDescriptorKey } from '$chem/descriptors';
import { importFormat, importStatus } from '$db/schema';
import { page, timestamp, uuid } from './schemas';

const label = z.string().trim().min(1, 'must not be empty').max(100);

export const registerMoleculeRequest = z
  .object({
    smiles: z.string({ error: 'is required' }).trim().min(1, 'is required').max(20_000, 'is too long'),
    name: z.string().trim().max(300).nullable().optional(),
    external_ids: z.record(label, z.string().trim().min(1, 'must not be empty').max(300)).optional(),
    properties: z
      .record(
        label,
        z.object({
          value: z.union([z.number(), z.string().max(2000), z.null()]),
          unit: z.string().trim().max(50).nullable().optional()
        })
      )
      .optional()
  })
  .meta({ id: 'RegisterMoleculeRequest' });

export const saveTemplateRequest = z
  .object({ name: z.string().trim().min(1, 'is required').max(100), mapping: importMappingSchema })
  .meta({ id: 'SaveImportTemplateRequest' });

export { importMappingSchema };

/** One row of GET /imports/{id}/duplicates (db/access/imports.ts `listImportDuplicates`). */
export const importDuplicate = z
  .object({
    row_number: z.number().int(),
    molecule_id: z.uuid(),
    registry_number: z.string().meta({ example: 'CX-000123' }),
    name: z.string().nullable(),
    canonical_smiles: z.string(),
    same_as_row: z.number().int().nullable().meta({ description: 'The earlier row of this import that registered the molecule; null when it was registered before' })
  })
  .meta({ id: 'ImportDuplicate' });
export type ImportDuplicate = z.infer<typeof importDuplicate>;
export const importDuplicatesResponse = page(importDuplicate);

// ---------------------------------------------------------------- molecules

/** Each descriptor, null until computed (`descriptors_pending`). */
export const descriptorValues = z.object(
  byDescriptorKey((d) => (d.type === 'integer' ? z.number().int() : z.number()).nullable().meta({ description: d.unit ? `${d.help} (${d.unit})` : d.help }))
);

/** The latest value of a property (GET /molecules lists one per name). */
export const propertyValue = z.object({
  value: z.number().nullable().meta({ description: 'The value when it is a number' }),
  value_text: z.string().nullable().meta({ description: 'The value as given when it is not a number (e.g. `>10`)' }),
  unit: z.string().nullable()
});

/** What every molecule body starts with (db/access/molecules.ts `presentMolecule`). */
const moleculeCore = z
  .object({
    id: uuid,
    registry_number: z.string().meta({ example: 'CX-000123' }),
    name: z.string().nullable(),
    canonical_smiles: z.string(),
    inchikey: z.string(),
    formula: z.string()
  })
  .extend(descriptorValues.shape)
  .extend({
    descriptors_pending: z.boolean(),
    created_at: timestamp,
    depiction_url: z.string()
  });

/** One row of GET /molecules (and of GET /libraries/{id}/molecules, under `molecule`). */
export const moleculeRow = moleculeCore
  .extend({
    identifiers: z.array(z.object({ label: z.string(), value: z.string() })),
    /** Latest value per property name. */
    properties: z.record(z.string(), propertyValue)
  })
  .meta({ id: 'MoleculeRow' });
// The lead's fast GET /molecules builds its rows in db/access/molecules.ts `listMolecules` (SQL-shaped rows
// through `presentMolecule`): that presenter stays there; whoever changes its row shape changes `moleculeRow` here.
export const moleculesResponse = page(moleculeRow);

export const molecule = moleculeCore
  .extend({
    inchi: z.string(),
    /** Other names it was registered under (also among `identifiers`, label `synonym`). */
    synonyms: z.array(z.string()),
    identifiers: z.array(z.object({ label: z.string(), value: z.string(), import_id: uuid.nullable(), created_at: timestamp })),
    /** Every value ever given, newest first per name, with where it came from. */
    properties: z.array(
      propertyValue.extend({ name: z.string(), source: z.string(), import_id: uuid.nullable(), created_at: timestamp })
    ),
    /** The structure exactly as each registration gave it (before salt stripping). */
    inputs: z.array(
      z.object({
        input: z.string(),
        input_format: z.string(),
        stripped_fragments: z.boolean(),
        import_id: uuid.nullable(),
        row_number: z.number().int().nullable(),
        created_at: timestamp
      })
    ),
    imports: z.array(z.object({ id: uuid, filename: z.string(), status: z.enum(importStatus.enumValues), created_at: timestamp }))
  })
  .meta({ id: 'Molecule' });
/** GET /molecules/{id}: also the libraries (you can see) whose boards it is on. */
export const moleculeDetailResponse = z.object({
  data: molecule.extend({ libraries: z.array(z.object({ id: uuid, name: z.string(), lane: z.string() })) })
});
/** POST /molecules: the molecule, and whether this call registered it. */
export const registeredMoleculeResponse = z.object({ data: molecule.extend({ created: z.boolean() }) });

export const moleculeFields = z
  .object({
    columns: z.array(z.object({ key: z.string(), label: z.string(), type: z.enum(['text', 'number', 'date']) })),
    properties: z.array(z.object({ name: z.string(), unit: z.string().nullable(), count: z.number().int() })),
    identifier_labels: z.array(z.object({ label: z.string(), count: z.number().int() }))
  })
  .meta({ id: 'MoleculeFields' });
export const moleculeFieldsResponse = z.object({ data: moleculeFields });

// ---------------------------------------------------------------- imports

export const importStatusSchema = z.enum(importStatus.enumValues);
export const importFormatSchema = z.enum(importFormat.enumValues);

export const importJob = z
  .object({
    id: uuid,
    filename: z.string(),
    format: importFormatSchema,
    compression: z.string().nullable().meta({ description: '`gzip` when the file was compressed' }),
    encoding: z.string(),
    size_bytes: z.number().int(),
    status: importStatusSchema,
    total_rows: z.number().int().nullable(),
    processed_rows: z.number().int(),
    registered: z.number().int(),
    duplicates: z.number().int(),
    invalid: z.number().int(),
    descriptors_done: z.number().int(),
    mapping: importMappingSchema.nullable(),
    library_id: uuid.nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    cancel_requested: z.boolean(),
    created_at: timestamp,
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    reverted_at: timestamp.nullable(),
    created_by: z.object({ id: uuid, name: z.string() }).nullable()
  })
  .meta({ id: 'Import' });
export const importResponse = z.object({ data: importJob });
export const importsResponse = page(importJob);
/** POST /imports/{id}/revert: the import, and how many molecules it removed. */
export const revertedImportResponse = z.object({ data: importJob.extend({ removed: z.number().int() }) });

export const importRowError = z
  .object({ row_number: z.number().int(), raw: z.string(), raw_truncated: z.boolean(), code: z.string(), reason: z.string() })
  .meta({ id: 'ImportRowError' });
export const importErrorsResponse = page(importRowError);

export const importPreview = z
  .object({
    format: importFormatSchema,
    encoding: z.string(),
    compression: z.string().nullable(),
    columns: z.array(z.string()),
    /** The first rows that could be read (column → value). */
    rows: z.array(z.record(z.string(), z.string())),
    /** A mapping to start from; null when no column looks like a structure. */
    suggested_mapping: importMappingSchema.nullable()
  })
  .meta({ id: 'ImportPreview' });
export const importPreviewResponse = z.object({ data: importPreview });

export const importTemplate = z
  .object({ id: uuid, name: z.string(), mapping: importMappingSchema, created_at: timestamp, updated_at: timestamp })
  .meta({ id: 'ImportTemplate' });
export const importTemplateResponse = z.object({ data: importTemplate });
export const importTemplatesResponse = z.object({ data: z.array(importTemplate) });
export const templateDeletedResponse = z.object({ data: z.object({ id: uuid, deleted: z.literal(true) }) });
