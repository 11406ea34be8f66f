/**
 * The registry pages' REST shapes (/api/v1/molecules, /imports, /import-templates):
 * derived from the API's zod schemas in $lib/api/types.ts, re-exported here
 * under the names the pages use. Descriptors come from chem/descriptors.ts.
 */
import type { ImportStatus } from '$lib/api/types';

export type {
  ApiErrorBody,
  DescriptorKey,
  Descriptors,
  Envelope,
  FieldColumn,
  Fields,
  ImportJob,
  ImportRowError,
  ImportStatus,
  ImportTemplate,
  Mapping,
  Meta,
  Molecule,
  MoleculeRow,
  Preview,
  PropertyValue,
  StructureType
} from '$lib/api/types';
export { DESCRIPTOR_KEYS } from '$chem/descriptors';

/** Statuses of an import that a worker is on or will be (the pages poll while one is). */
export const ACTIVE_STATUSES: ImportStatus[] = ['queued', 'running'];
