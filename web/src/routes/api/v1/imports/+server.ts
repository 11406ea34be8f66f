import path from 'node:path';
import { rm } from 'node:fs/promises';
import { requireLibrary } from '$db/access/libraries';
import { AppError } from '$common/errors';
import { importMappingSchema, type ImportMapping } from '$common/import-mapping';
import { requireRole } from '$db/access/authorize';
import { abandonImport, createImport, getTemplate, listImports } from '$db/access/imports';
import { ingestJobId } from '$common/queues';
import { getDb, getEnv, getQueues } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { parsePage } from '$lib/server/api/query';
import { presentImport } from '$lib/server/api/presenters/imports';
import { clientInfo } from '$lib/server/client-info';
import { receiveUpload } from '$lib/server/uploads';
import { checkMappingAgainstColumns, previewFile } from '$ingest/preview';

export const GET = endpoint(async ({ locals, url }) => {
  const page = parsePage(url, { pageSize: 20, max: 100 });
  const { data, total } = await listImports(getDb(), locals.actor, page);
  return ok(data.map(presentImport), { meta: { page: page.page, page_size: page.pageSize, total } });
});

function parseMapping(text: string): ImportMapping {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION_ERROR', 'mapping is not valid JSON', [{ field: 'mapping', message: 'must be a JSON object' }]);
  }
  const parsed = importMappingSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError(
      'VALIDATION_ERROR',
      'The column mapping is not valid',
      parsed.error.issues.map((i) => ({ field: ['mapping', ...i.path.map(String)].join('.'), message: i.message }))
    );
  }
  return parsed.data;
}

/**
 * Accept a file: stream it to disk, read its head to learn format, encoding
 * and columns, check the mapping (given, from a template, or suggested), then
 * queue the import. The worker does the rest; 202 with the import's id.
 */
export const POST = endpoint(async (event) => {
  const actor = requireRole(event.locals.actor, 'scientist');
  const env = getEnv();
  const upload = await receiveUpload(event.request, { uploadDir: path.resolve(env.UPLOAD_DIR), maxBytes: env.IMPORT_MAX_BYTES });
  try {
    const preview = await previewFile(upload.path, { filename: upload.filename });
    let mapping: ImportMapping;
    if (upload.fields.mapping) mapping = parseMapping(upload.fields.mapping);
    else if (upload.fields.template_id) mapping = parseMapping(JSON.stringify((await getTemplate(getDb(), actor, upload.fields.template_id)).mapping));
    else if (preview.suggestedMapping) mapping = preview.suggestedMapping;
    else {
      throw new AppError('VALIDATION_ERROR', 'No structure column found; send a mapping that names the SMILES or molblock column', [
        { field: 'mapping.structure', message: `no column looks like SMILES; columns are: ${preview.columns.join(', ')}` }
      ]);
    }
    checkMappingAgainstColumns(mapping, preview.columns);
    const libraryId = upload.fields.library_id || null;
    if (libraryId) {
      // The molecules will join the importer's registry, so the board must be one of their organisation's, and editable.
      const g = await requireLibrary(getDb(), actor, libraryId, 'edit');
      if (g.library.organizationId !== actor.organization.id) {
        throw new AppError('VALIDATION_ERROR', 'Import into a library of your own organisation', [{ field: 'library_id', message: 'belongs to another organisation' }]);
      }
    }
    const row = await createImport(
      getDb(),
      actor,
      {
        filename: upload.filename,
        format: preview.format,
        compression: preview.compression,
        encoding: preview.encoding,
        sizeBytes: upload.sizeBytes,
        storagePath: upload.path,
        mapping,
        libraryId
      },
      clientInfo(event)
    );
    // The job id says where the import stands (ingestJobId): enqueueing twice cannot start two imports of one file.
    try {
      await getQueues().enqueue(
        'ingest',
        'import',
        { owner: { userId: actor.user.id, organizationId: actor.organization.id }, importId: row.id },
        { jobId: ingestJobId(row) }
      );
    } catch (err) {
      // Redis is down: say so now (503) rather than leave an import queued that no worker will hear of.
      const reason = err instanceof AppError ? err : new AppError('SERVICE_UNAVAILABLE', 'The job queue is unavailable; try again in a moment');
      await abandonImport(getDb(), row.id, { code: reason.code, message: reason.message });
      throw reason;
    }
    return ok(presentImport({ import: row, createdBy: { id: actor.user.id, name: actor.user.name } }), { status: 202 });
  } catch (err) {
    await rm(upload.path, { force: true });
    throw err;
  }
});
