/**
 * The import's database side alone: the same chunks the ingest commits
 * (db/access/ingest.ts commitImportChunk), then the descriptor pass's reads
 * and writes (pendingDescriptors / saveDescriptors), with no chemistry in the
 * loop (structures are computed once, before timing). Prints wall time and
 * CPU on both sides of the connection — this process (pg client, COPY text)
 * and the PostgreSQL server processes — per 1,000 rows, which on a 2-core
 * machine is what the chemistry threads lose to the writer.
 *
 *   node --import tsx bench/ingest/write-path.ts [--rows 30000] [--chunk 1000] [--repeat 1] [--cache file.json]
 *        [--analyze-every 0]
 *
 * Starts its own embedded PostgreSQL in .data/bench-write-path (a fresh
 * database each run) unless DATABASE_URL is set; CPU of the server is read
 * from /proc, so it is only shown for the embedded server.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createChemPool, type RegisterRowResult } from '../../chem/pool';
import { byDescriptorField } from '../../chem/descriptors';
import { signUp } from '../../db/access/accounts';
import { createImport } from '../../db/access/imports';
import { commitImportChunk, pendingDescriptors, saveDescriptors, type ValidChunkRow } from '../../db/access/ingest';
import { authenticateToken } from '../../db/auth';
import { closeDb, createDb } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { ensureServices } from '../../scripts/services';
import { generateMolecules } from './generate';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '30000' },
    chunk: { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '1' },
    /** Keep the computed structures in this file and reuse them (RDKit on 100,000 rows takes minutes). */
    cache: { type: 'string' },
    /**
     * ANALYZE the tables every N chunks (its cost left out of the figures). A real
     * import runs for minutes and autovacuum refreshes the statistics meanwhile;
     * back to back, the chunks here would all be planned on the stale ones.
     */
    'analyze-every': { type: 'string', default: '0' }
  }
});
const rows = Number(values.rows);
const chunkRows = Number(values.chunk);
const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });

/** utime + stime of every process under the postmaster, in ms (clock ticks of 10 ms). */
async function serverCpuMs(postmasterPid: number | null): Promise<number> {
  if (!postmasterPid) return NaN;
  const { readdir } = await import('node:fs/promises');
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    if (Number(pid) === postmasterPid || ppid === postmasterPid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * 10;
}

const clientCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function computeStructures(smiles: string[], cache: string | undefined): Promise<RegisterRowResult[]> {
  if (cache) {
    const cached = await readFile(cache, 'utf8').catch(() => null);
    if (cached) {
      const parsed = JSON.parse(cached) as Array<RegisterRowResult & { morganFp: string; patternFp: string }>;
      if (parsed.length === smiles.length) {
        return parsed.map((r) => (r.ok ? { ...r, morganFp: Buffer.from(r.morganFp, 'base64'), patternFp: Buffer.from(r.patternFp, 'base64') } : r));
      }
    }
  }
  const pool = createChemPool();
  try {
    const structures = await pool.register(smiles.map((input, i) => ({ row: i + 1, input, format: 'smiles' as const })));
    if (cache) {
      const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
      await writeFile(cache, JSON.stringify(structures.map((r) => (r.ok ? { ...r, morganFp: b64(r.morganFp), patternFp: b64(r.patternFp) } : r))));
    }
    return structures;
  } finally {
    await pool.destroy();
  }
}

async function main() {
  const dataDir = path.join(root, '.data', 'bench-write-path');
  const services = await ensureServices({ dataDir, database: 'crosslink_write_path', freshDatabase: true, log: () => {} });
  const postmasterPid = process.env.DATABASE_URL
    ? null
    : Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]) || null;
  const db = createDb(services.databaseUrl, { max: 4 });
  try {
    await runMigrations(services.databaseUrl);
    const molecules = await generateMolecules(rows, 42);
    const structures = await computeStructures(molecules.map((m) => m.smiles), values.cache);
    const valid: ValidChunkRow[] = [];
    structures.forEach((s, i) => {
      if (!s.ok) return;
      const m = molecules[i];
      valid.push({
        rowNumber: i + 1,
        structure: s,
        input: m.smiles,
        inputFormat: 'smiles',
        name: m.name,
        identifiers: [{ label: 'sponsor_id', value: m.sponsorId }],
        properties: [
          ...(m.ic50nM ? [{ name: 'ic50', num: Number(m.ic50nM.replace(/^>/, '')), text: m.ic50nM.startsWith('>') ? m.ic50nM : null, unit: 'nM' }] : []),
          ...(m.solubilityUM ? [{ name: 'solubility', num: Number(m.solubilityUM), text: null, unit: 'µM' }] : [])
        ]
      });
    });

    for (let rep = 0; rep < Number(values.repeat); rep++) {
      const email = `write-path-${Date.now()}@bench.example`;
      const org = await signUp(db, { email, password: 'bench password', name: 'Bench', organization: { name: `Write path ${Date.now()}`, kind: 'pharma' } }, { via: 'api' });
      const actor = (await authenticateToken(db, org.session.token))!;
      const imp = await createImport(
        db,
        actor,
        { filename: 'bench.csv', format: 'csv', compression: null, encoding: 'utf-8', sizeBytes: 0, storagePath: '/nonexistent', mapping: { structure: { type: 'smiles', column: 'smiles' }, identifiers: [], properties: [] } as never },
        { via: 'api' }
      );
      const target = { importId: imp.id, organizationId: actor.organization!.id, userId: actor.user.id };

      let wall = performance.now();
      let client = clientCpuMs();
      let server = await serverCpuMs(postmasterPid);
      let registered = 0;
      const analyzeEvery = Number(values['analyze-every']);
      const left = { wall: 0, client: 0, server: 0 };
      for (let i = 0, n = 1; i < valid.length; i += chunkRows, n++) {
        const part = valid.slice(i, i + chunkRows);
        const out = await commitImportChunk(db, target, { valid: part, invalid: [], firstRow: part[0].rowNumber, lastRow: part[part.length - 1].rowNumber });
        registered += out.registered;
        if (analyzeEvery > 0 && n % analyzeEvery === 0) {
          const w = performance.now();
          const c = clientCpuMs();
          const sv = await serverCpuMs(postmasterPid);
          await db.$client.query('analyze molecules, molecule_inputs, molecule_identifiers, molecule_properties');
          left.wall += performance.now() - w;
          left.client += clientCpuMs() - c;
          left.server += (await serverCpuMs(postmasterPid)) - sv;
        }
      }
      const commit = {
        wall: performance.now() - wall - left.wall,
        client: clientCpuMs() - client - left.client,
        server: (await serverCpuMs(postmasterPid)) - server - left.server
      };

      wall = performance.now();
      client = clientCpuMs();
      server = await serverCpuMs(postmasterPid);
      let after: string | null = null;
      let described = 0;
      let readMs = 0;
      for (;;) {
        const readStarted = performance.now();
        const batch = await pendingDescriptors(db, imp.id, after, chunkRows);
        readMs += performance.now() - readStarted;
        if (!batch.length) break;
        after = batch[batch.length - 1].id;
        await saveDescriptors(
          db,
          imp.id,
          batch.map((r, k) => ({
            id: r.id,
            // Stand-in values, one per descriptor of chem/descriptors.ts (the write path is what is measured).
            descriptors: { ok: true, ...byDescriptorField((d) => (d.type === 'integer' ? 3 : 300.123456 + k / 7)) }
          }))
        );
        described += batch.length;
      }
      const describe = { wall: performance.now() - wall, client: clientCpuMs() - client, server: (await serverCpuMs(postmasterPid)) - server };

      const per = (ms: number, n: number) => fmt((ms / n) * 1000, 1);
      console.log(`write path, run ${rep + 1}: ${fmt(valid.length)} rows in chunks of ${fmt(chunkRows)} (${fmt(registered)} new), then ${fmt(described)} described`);
      console.log(`  commit chunks    wall ${per(commit.wall, valid.length)} ms, client CPU ${per(commit.client, valid.length)} ms, server CPU ${per(commit.server, valid.length)} ms  per 1,000 rows`);
      console.log(`  descriptor I/O   wall ${per(describe.wall, described)} ms (reads ${per(readMs, described)} ms), client CPU ${per(describe.client, described)} ms, server CPU ${per(describe.server, described)} ms  per 1,000 molecules`);
    }
  } finally {
    await closeDb(db);
    await services.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
