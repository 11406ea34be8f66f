import path from 'node:path';
import { rm } from 'node:fs/promises';
import { requireRole } from '$db/access/authorize';
import { getEnv } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { receiveUpload } from '$lib/server/uploads';
import { previewFile } from '$ingest/preview';

/** Columns, first rows and a suggested mapping for the start of a file (the browser sends ~512 KB). */
export const POST = endpoint(async (event) => {
  requireRole(event.locals.actor, 'scientist');
  const env = getEnv();
  const upload = await receiveUpload(event.request, { uploadDir: path.resolve(env.UPLOAD_DIR, 'previews'), maxBytes: 8 * 1024 * 1024 });
  try {
    const p = await previewFile(upload.path, { filename: upload.filename, partial: true });
    return ok({ format: p.format, encoding: p.encoding, compression: p.compression, columns: p.columns, rows: p.rows, suggested_mapping: p.suggestedMapping });
  } finally {
    await rm(upload.path, { force: true });
  }
});
