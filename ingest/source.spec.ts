import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  decodeWindows1252,
  detectDelimiter,
  detectFormat,
  ImportFileError,
  importErrorCode,
  openSource,
  readHead,
  sniffDelimiter,
  sniffEncoding,
  toFileError,
  Utf8Transcoder
} from './source';

/** Run bytes through the transcoder in chunks of `size` bytes. */
async function transcode(bytes: Buffer, size = 1 << 20, declared?: ConstructorParameters<typeof Utf8Transcoder>[0]) {
  const t = new Utf8Transcoder(declared);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    Readable.from(chunks)
      .pipe(t)
      .on('data', (b: Buffer) => out.push(b))
      .on('end', resolve)
      .on('error', reject);
  });
  return { text: Buffer.concat(out).toString('utf8'), encoding: t.encoding, stats: t.stats };
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');

async function readAll(input: Buffer, opts: Parameters<typeof openSource>[1] = {}) {
  const src = await openSource(input, opts);
  const parts: Buffer[] = [];
  for await (const c of src.stream as AsyncIterable<Buffer>) parts.push(c);
  return { text: Buffer.concat(parts).toString('utf8'), src };
}

describe('Utf8Transcoder', () => {
  it('passes UTF-8 through and strips a BOM', async () => {
    const r = await transcode(Buffer.from('\ufeffName,Solubility (µM)\nÅngström,5\n'));
    expect(r.text).toBe('Name,Solubility (µM)\nÅngström,5\n');
    expect(r.encoding).toBe('utf-8');
    expect(r.stats).toEqual({ fallbackLines: 0, utf8NonAscii: true });
  });

  it('decodes Latin-1 / windows-1252 lines', async () => {
    const r = await transcode(Buffer.concat([latin1('Name;Solubility (µM)\nÅngström;5\n'), Buffer.from([0x80, 0x92, 0x96, 0x0a])]));
    expect(r.text).toBe('Name;Solubility (µM)\nÅngström;5\n€’–\n');
    expect(r.encoding).toBe('windows-1252');
    expect(r.stats.fallbackLines).toBe(3);
  });

  it('decodes right when the first non-UTF-8 byte comes late (after many chunks)', async () => {
    const ascii = 'CCO,compound,1.5\n'.repeat(20_000); // ~340 KB of ASCII
    const bytes = Buffer.concat([Buffer.from(ascii), latin1('CCN,Ångström µM,2\n')]);
    for (const size of [1000, 65_536]) {
      const r = await transcode(bytes, size);
      expect(r.text.endsWith('CCN,Ångström µM,2\n')).toBe(true);
      expect(r.text.length).toBe(ascii.length + 'CCN,Ångström µM,2\n'.length);
      expect(r.encoding).toBe('windows-1252');
    }
  });

  it('decodes each line of a file pasted together from UTF-8 and Latin-1 exports', async () => {
    const r = await transcode(Buffer.concat([Buffer.from('a,Ångström\n'), latin1('b,Ångström\n'), Buffer.from('c,µM\n')]));
    expect(r.text).toBe('a,Ångström\nb,Ångström\nc,µM\n');
  });

  it('never splits a UTF-8 character across chunks, whatever the chunk size', async () => {
    const text = 'Name,Note\n' + 'x,Ångström µM 日本 🧪\n'.repeat(50);
    for (const size of [1, 2, 3, 5, 7, 4096]) {
      const r = await transcode(Buffer.from(text), size);
      expect(r.text).toBe(text);
      expect(r.encoding).toBe('utf-8');
    }
  });

  it('handles a line longer than the segment size, split at character boundaries', async () => {
    const long = 'é'.repeat(100_000); // 200 KB of two-byte characters, no line break
    const r = await transcode(Buffer.from(`h\n${long}\n`), 4099);
    expect(r.text).toBe(`h\n${long}\n`);
  });

  it('keeps classic Mac (CR-only) line breaks and decodes per line', async () => {
    const r = await transcode(Buffer.concat([Buffer.from('a,b\rc,d\r'), latin1('µ,e\r')]));
    expect(r.text).toBe('a,b\rc,d\rµ,e\r');
  });

  it('reads UTF-16 with a BOM, and without one by its NUL pattern (Excel "Unicode Text")', async () => {
    const text = 'SMILES\tName\nCCO\tÅngström\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(await transcode(le, 3)).toMatchObject({ text, encoding: 'utf-16le' });
    expect(await transcode(Buffer.from(text, 'utf16le'))).toMatchObject({ text, encoding: 'utf-16le' });
    const be = Buffer.from(text, 'utf16le').swap16();
    expect(await transcode(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toMatchObject({ text, encoding: 'utf-16be' });
  });

  it('refuses binary data and workbooks in words', async () => {
    const binary = Buffer.alloc(5000, 0);
    await expect(transcode(binary)).rejects.toThrow('looks like binary data');
    await expect(transcode(Buffer.from('PK\x03\x04rest-of-xlsx'))).rejects.toThrow('Excel workbook (.xlsx)');
  });
});

describe('sniffEncoding / decodeWindows1252', () => {
  it('finds BOMs', () => {
    expect(sniffEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ encoding: null, bomLength: 3, utf8Bom: true });
    expect(sniffEncoding(Buffer.from([0xff, 0xfe, 0x41, 0]))).toMatchObject({ encoding: 'utf-16le', bomLength: 2 });
    expect(sniffEncoding(Buffer.from('plain'))).toEqual({ encoding: null, bomLength: 0, utf8Bom: false });
  });

  it('maps 0x80–0x9F the windows-1252 way (Node’s TextDecoder does not)', () => {
    expect(decodeWindows1252(Buffer.from([0x80, 0x85, 0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0x99, 0xb5, 0xc5, 0xe9]))).toBe('€…‘’“”–—™µÅé');
  });
});

describe('openSource', () => {
  it('gunzips by magic bytes and reports the compression', async () => {
    const { text, src } = await readAll(gzipSync(Buffer.from('\ufeffa,b\n1,2\n')));
    expect(text).toBe('a,b\n1,2\n');
    expect(src.compression).toBe('gzip');
    expect(src.bytesRead).toBe(src.sizeBytes);
  });

  it('ignores a wrong "not compressed" hint: magic bytes win', async () => {
    const { text } = await readAll(gzipSync(Buffer.from('a\n')), { compression: null });
    expect(text).toBe('a\n');
  });

  it('reports a damaged gzip as a file problem', async () => {
    const gz = gzipSync(Buffer.from('a,b\n'.repeat(10_000)));
    const cut = gz.subarray(0, gz.length >> 1);
    const err = await readAll(cut).then(
      () => null,
      (e) => toFileError(e)
    );
    expect(err).toBeInstanceOf(ImportFileError);
    expect(importErrorCode(err)).toBe('IMPORT_MALFORMED');
    expect((err as Error).message).toContain('gzip file is damaged or incomplete');
    // …but the start of a file (a preview slice) is expected to be cut off.
    const partial = await readAll(cut, { partial: true });
    expect(partial.text.startsWith('a,b\na,b\n')).toBe(true);
  });

  it('refuses ZIP/xlsx, xls, PDF and other compressions before reading', async () => {
    const cases: Array<[number[], string]> = [
      [[0x50, 0x4b, 0x03, 0x04], 'ZIP archive or an Excel workbook'],
      [[0xd0, 0xcf, 0x11, 0xe0], 'old Excel workbook (.xls)'],
      [[0x25, 0x50, 0x44, 0x46], 'is a PDF'],
      [[0x42, 0x5a, 0x68, 0x39], 'bzip2'],
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz']
    ];
    for (const [magic, words] of cases) {
      const err = await openSource(Buffer.from([...magic, 0x41, 0x42])).catch((e) => e);
      expect(importErrorCode(err)).toBe('IMPORT_UNSUPPORTED');
      expect(err.message).toContain(words);
      expect(err.code).toBe('VALIDATION_ERROR');
      expect(err.details[0]).toMatchObject({ field: 'file', code: 'IMPORT_UNSUPPORTED' });
    }
    const zipInGzip = await readAll(gzipSync(Buffer.from('PK\x03\x04xlsx'))).catch((e) => e);
    expect(zipInGzip.message).toContain('The file inside the gzip is a ZIP archive');
  });

  it('stops a gzip bomb at the decompressed-size and ratio limits, naming the limit (413)', async () => {
    const line = Buffer.from('CCO,ethanol\n'.repeat(100_000)); // 1.2 MB
    const member = gzipSync(line, { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 50 }, () => member)); // ~60 MB expanded, a few KB here
    const bySize = await readAll(bomb, { expansion: { maxBytes: 10 * 1024 ** 2, maxRatio: 1e9, ratioAfterBytes: 0 } }).catch((e) => e);
    expect(importErrorCode(bySize)).toBe('IMPORT_TOO_LARGE');
    expect(bySize.code).toBe('PAYLOAD_TOO_LARGE');
    expect(bySize.message).toContain('10 MB limit');
    expect(bySize.details[0]).toMatchObject({ field: 'file', code: 'IMPORT_TOO_LARGE', limit_bytes: 10 * 1024 ** 2 });
    const byRatio = await readAll(bomb, { expansion: { maxBytes: 1e12, maxRatio: 100, ratioAfterBytes: 1024 ** 2 } }).catch((e) => e);
    expect(importErrorCode(byRatio)).toBe('IMPORT_TOO_LARGE');
    expect(byRatio.message).toContain('more than 100 times');
    // Within the limits the same file reads to the end.
    const fine = await readAll(bomb, { expansion: { maxBytes: 1e12, maxRatio: 1e9, ratioAfterBytes: 0 } });
    expect(fine.text.length).toBe(line.length * 50);
  });

  it('says so when the uploaded file has gone', async () => {
    await expect(openSource('/nonexistent/upload')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('readHead returns the decoded start and whether that is all', async () => {
    const small = await readHead(Buffer.from('a,b\n'));
    expect(small).toMatchObject({ text: 'a,b\n', complete: true, compression: null, encoding: 'utf-8' });
    const big = await readHead(Buffer.from('x'.repeat(200_000)), { maxBytes: 1000 });
    expect(big.complete).toBe(false);
    expect(big.text.length).toBe(1000);
  });
});

describe('detectFormat', () => {
  const sdf = 'CPD-1\n  RDKit          2D\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n    0.0 0.0 0.0 C   0  0\nM  END\n$$$$\n';
  it.each([
    ['compounds.csv', 'SMILES,Name\nCCO,ethanol\n', 'csv'],
    ['compounds.CSV.gz', 'SMILES,Name\nCCO,ethanol\n', 'csv'],
    ['compounds.tsv', 'SMILES\tName\nCCO\tethanol\n', 'tsv'],
    ['export.csv', 'SMILES\tName\tIC50\nCCO\tethanol\t5\n', 'tsv'], // tab-delimited "csv"
    ['export.txt', 'SMILES\tName\nCCO\tethanol\n', 'tsv'],
    ['europe.csv', 'Name;SMILES;IC50 (nM)\nA;CCO;1,5\nB;CCN;2,25\n', 'csv'],
    ['compounds.sdf', sdf, 'sdf'],
    ['compounds.sdf.gz', sdf, 'sdf'],
    ['compounds.csv', sdf, 'sdf'], // content wins
    ['mols.sd', 'tiny', 'sdf'],
    ['smiles.tsv', 'SMILES\nCCO\nCCN\n', 'tsv'], // single column: the name decides
    ['smiles.txt', 'SMILES\nCCO\nCCN\n', 'csv']
  ])('%s → %s', (name, content, format) => {
    expect(detectFormat(name, content)).toBe(format);
    expect(detectFormat(name, Buffer.from(content))).toBe(format);
  });

  it('looks inside gzip bytes, even a truncated head', () => {
    const gz = gzipSync(Buffer.from('SMILES\tName\n' + 'CCO\tethanol\n'.repeat(5000)));
    expect(detectFormat('upload.gz', gz.subarray(0, 200))).toBe('tsv');
    expect(detectFormat('upload.gz', gzipSync(Buffer.from(sdf)))).toBe('sdf');
  });

  it('sees through a UTF-16 head', () => {
    expect(detectFormat('unicode.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('A\tB\n1\t2\n', 'utf16le')]))).toBe('tsv');
  });
});

describe('sniffDelimiter', () => {
  it('picks the semicolon of European Excel despite decimal commas', () => {
    expect(detectDelimiter('Name;SMILES;IC50 (nM)\nA;CCO;1,5\nB;CCN;2,25\nC;CCC;3\n')).toBe(';');
  });

  it('ignores delimiters inside quotes', () => {
    expect(detectDelimiter('Name,SMILES\n"Smith; J.",CCO\n"Doe; K.",CCN\n')).toBe(',');
  });

  it('prefers the consistent candidate', () => {
    expect(detectDelimiter('a,b\tc,d\n1,2\t3,4\n5,6\t7,8\n')).toBe(',');
    expect(detectDelimiter('IC50 (nM, mean);Name\n1;x\n2;y\n')).toBe(';');
  });

  it('follows an Excel "sep=" line', () => {
    expect(sniffDelimiter('sep=;\nName,SMILES;x\n')).toEqual({ delimiter: ';', confident: true });
    expect(detectFormat('x.csv', 'sep=\t\r\nA\tB\n')).toBe('tsv');
  });

  it('is unsure when there is nothing to go by', () => {
    expect(sniffDelimiter('SMILES\nCCO\n')).toEqual({ delimiter: ',', confident: false });
    expect(sniffDelimiter('')).toEqual({ delimiter: ',', confident: false });
  });
});
