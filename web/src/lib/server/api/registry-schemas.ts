/** Request schemas of the registry API (molecules, imports, templates). */
import { z } from 'zod';
import { importMappingSchema } from '$common/import-mapping';

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
