/**
 * The start of a chosen file for the import preview: the first ~512 KB,
 * decompressed when it is gzip (a truncated gzip stream is fine: we keep
 * what decompressed), cut back to the last complete line or SD record.
 */

export const PREVIEW_BYTES = 512 * 1024;
export const ACCEPT = '.csv,.tsv,.txt,.sdf,.sd,.mol,.gz';
const ACCEPTED = /\.(csv|tsv|txt|sdf|sd|mol)(\.gz)?$/i;

export const isAccepted = (name: string) => ACCEPTED.test(name) || /\.gz$/i.test(name);
export const isSdfName = (name: string) => /\.(sdf|sd|mol)(\.gz)?$/i.test(name);
/** The name the preview should see: without `.gz`, since it gets decompressed bytes. */
export const innerName = (name: string) => name.replace(/\.gz$/i, '') || 'upload.txt';

export type FileHead = { bytes: Uint8Array<ArrayBuffer>; gzip: boolean; truncated: boolean };

function concat(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c.subarray(0, Math.min(c.length, total - at)), at);
    at += c.length;
    if (at >= total) break;
  }
  return out;
}

async function gunzipHead(slice: Uint8Array<ArrayBuffer>, limit: number): Promise<{ bytes: Uint8Array<ArrayBuffer>; complete: boolean }> {
  if (typeof DecompressionStream === 'undefined') throw new Error('This browser cannot read gzip files; use a recent Chrome, Firefox, Safari or Edge, or upload the file uncompressed');
  const reader = new Blob([slice]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let complete = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        complete = true;
        break;
      }
      chunks.push(value);
      total += value.length;
      if (total >= limit) break;
    }
  } catch {
    // The slice ends in the middle of the compressed stream: keep what we have.
  }
  reader.cancel().catch(() => {});
  if (total === 0) throw new Error('The file looks like gzip but could not be decompressed');
  return { bytes: concat(chunks, Math.min(total, limit)), complete: complete && total <= limit };
}

function lastIndexOf(bytes: Uint8Array, pattern: number[]): number {
  outer: for (let i = bytes.length - pattern.length; i >= 0; i--) {
    for (let j = 0; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}

/** Drop a partial last line (or partial last SD record) of a truncated head. */
function cutToWhole(bytes: Uint8Array<ArrayBuffer>, sdf: boolean): Uint8Array<ArrayBuffer> {
  if (sdf) {
    const end = lastIndexOf(bytes, [0x24, 0x24, 0x24, 0x24]); // $$$$
    if (end >= 0) {
      const nl = bytes.indexOf(0x0a, end);
      return bytes.subarray(0, nl >= 0 ? nl + 1 : end + 4);
    }
  }
  const nl = bytes.lastIndexOf(0x0a);
  return nl > 0 ? bytes.subarray(0, nl + 1) : bytes;
}

export async function readHead(file: File, limit = PREVIEW_BYTES): Promise<FileHead> {
  const raw = new Uint8Array(await file.slice(0, limit).arrayBuffer());
  const gzip = /\.gz$/i.test(file.name) || (raw[0] === 0x1f && raw[1] === 0x8b);
  let bytes = raw;
  let truncated = file.size > limit;
  if (gzip) {
    const r = await gunzipHead(raw, limit);
    bytes = r.bytes;
    truncated = !r.complete || file.size > limit;
  }
  if (truncated) bytes = cutToWhole(bytes, isSdfName(file.name));
  return { bytes, gzip, truncated };
}
