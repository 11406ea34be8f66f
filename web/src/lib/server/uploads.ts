/**
 * Multipart uploads streamed to disk with busboy: a 500 MB file never sits in
 * memory. The size limit is enforced while streaming (and up front from
 * Content-Length), answering 413 with the limit in words; a partial file is
 * deleted. Other form fields come back as strings.
 */
import busboy from 'busboy';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '$common/errors';

export interface ReceivedUpload {
  path: string;
  filename: string;
  sizeBytes: number;
  /** The first bytes of the file, for format and compression sniffing. */
  head: Buffer;
  fields: Record<string, string>;
}

export const formatBytes = (n: number) =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : n >= 1024 ** 2 ? `${Math.round(n / 1024 ** 2)} MB` : `${Math.round(n / 1024)} KB`;

const tooLarge = (limit: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `The file is larger than the ${formatBytes(limit)} limit; split it or compress it with gzip`, [
    { field: 'file', message: `must be at most ${formatBytes(limit)} (${limit} bytes)`, limit_bytes: limit }
  ]);

export async function receiveUpload(
  request: Request,
  opts: { uploadDir: string; maxBytes: number; fileField?: string; headBytes?: number }
): Promise<ReceivedUpload> {
  const fileField = opts.fileField ?? 'file';
  const headBytes = opts.headBytes ?? 64 * 1024;
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    throw new AppError('VALIDATION_ERROR', 'Send the file as multipart/form-data with a "file" field', [{ field: 'file', message: 'is required' }]);
  }
  const declared = Number(request.headers.get('content-length') ?? 0);
  // Multipart framing adds a little; anything far above the limit is refused before reading it.
  if (declared > opts.maxBytes + 1024 * 1024) throw tooLarge(opts.maxBytes);
  if (!request.body) throw new AppError('VALIDATION_ERROR', 'The request has no body', [{ field: 'file', message: 'is required' }]);

  await mkdir(opts.uploadDir, { recursive: true });
  const target = path.join(opts.uploadDir, `${randomUUID()}.upload`);
  const fields: Record<string, string> = {};
  let file: { filename: string; sizeBytes: number; head: Buffer } | null = null;
  let failure: AppError | null = null;

  const parser = busboy({
    headers: { 'content-type': type },
    // RFC 7578: browsers send the file name as raw UTF-8 bytes; busboy's default (latin1) garbles "分子 🧪.csv".
    defParamCharset: 'utf8',
    limits: { fileSize: opts.maxBytes, files: 1, fields: 20, fieldSize: 1024 * 1024 }
  });
  const fileDone: Promise<void>[] = [];
  parser.on('field', (name, value) => {
    fields[name] = value;
  });
  parser.on('file', (name, stream, info) => {
    if (name !== fileField || file) {
      stream.resume();
      return;
    }
    const current = { filename: info.filename || 'upload', sizeBytes: 0, head: Buffer.alloc(0) };
    file = current;
    const heads: Buffer[] = [];
    let headLength = 0;
    stream.on('data', (chunk: Buffer) => {
      current.sizeBytes += chunk.length;
      if (headLength < headBytes) {
        heads.push(chunk.subarray(0, headBytes - headLength));
        headLength += Math.min(chunk.length, headBytes - headLength);
      }
    });
    // busboy stops the stream at the limit (it ends, truncated); the partial file is deleted below.
    stream.on('limit', () => {
      failure = tooLarge(opts.maxBytes);
    });
    fileDone.push(
      pipeline(stream, createWriteStream(target)).then(() => {
        current.head = Buffer.concat(heads);
      })
    );
  });
  try {
    await pipeline(Readable.fromWeb(request.body as import('node:stream/web').ReadableStream), parser);
    await Promise.all(fileDone);
  } catch (err) {
    await rm(target, { force: true });
    if (failure) throw failure;
    if (err instanceof AppError) throw err;
    throw new AppError('VALIDATION_ERROR', `The upload could not be read: ${(err as Error).message}`, [{ field: 'file', message: 'upload interrupted or malformed' }]);
  }
  if (failure) {
    await rm(target, { force: true });
    throw failure;
  }
  const received = file as { filename: string; sizeBytes: number; head: Buffer } | null;
  if (!received) {
    await rm(target, { force: true });
    throw new AppError('VALIDATION_ERROR', 'No file was uploaded', [{ field: fileField, message: 'is required' }]);
  }
  return { path: target, filename: path.basename(received.filename), sizeBytes: received.sizeBytes, head: received.head, fields };
}
