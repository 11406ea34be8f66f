/** Imports and import templates as the REST API shows them (schemas: ../registry-schemas.ts). */
import type { z } from 'zod';
import type { ImportMapping } from '$common/import-mapping';
import type { ImportWithCreator } from '$db/access/imports';
import type { importTemplates } from '$db/schema';
import type { importJob, importTemplate } from '../registry-schemas';

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function presentImport({ import: i, createdBy }: ImportWithCreator): z.output<typeof importJob> {
  return {
    id: i.id,
    filename: i.filename,
    format: i.format,
    compression: i.compression,
    encoding: i.encoding,
    size_bytes: i.sizeBytes,
    status: i.status,
    total_rows: i.totalRows,
    processed_rows: i.processedRows,
    registered: i.registered,
    duplicates: i.duplicates,
    invalid: i.invalid,
    descriptors_done: i.descriptorsDone,
    // Both are written only after validation (the mapping schema; the pipeline's `{ code, message }`).
    mapping: i.mapping as ImportMapping | null,
    library_id: i.libraryId,
    error: i.error as { code: string; message: string } | null,
    cancel_requested: i.cancelRequestedAt !== null,
    created_at: i.createdAt.toISOString(),
    started_at: isoOrNull(i.startedAt),
    finished_at: isoOrNull(i.finishedAt),
    reverted_at: isoOrNull(i.revertedAt),
    created_by: createdBy
  };
}

export const presentTemplate = (t: typeof importTemplates.$inferSelect): z.output<typeof importTemplate> => ({
  id: t.id,
  name: t.name,
  mapping: t.mapping as ImportMapping,
  created_at: t.createdAt.toISOString(),
  updated_at: t.updatedAt.toISOString()
});
