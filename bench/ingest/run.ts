/**
 * bench/ingest — end-to-end import throughput against the compute limit.
 *
 *   node --import tsx bench/ingest/run.ts [--rows 100000] [--threads N] [--profile] [--no-bare] [--marks] [--fresh]
 *
 * 1. Generates N varied drug-like molecules (bench/ingest/generate.ts) as a CSV.
 * 2. Starts a real workers process (node --import tsx workers/index.ts) and
 *    samples its memory (VmHWM: peak RSS, threads included).
 * 3. Creates the import exactly as POST /api/v1/imports does and measures the
 *    time to "registered" (every row committed and searchable: processed_rows
 *    == total) and to "complete" (descriptors too).
 * 4. Runs the bare RDKit pipeline (same rows, same thread pool, no I/O) —
 *    the compute limit — and prints both side by side with the ratio.
 * 5. Times the registry's first page (GET /api/v1/molecules's query) at that size.
 *
 * --profile runs the workers process (main thread and chemistry threads) with
 * --cpu-prof into .data/bench-ingest-profiles/ and prints the windows of the two
 * phases for bench/collab/profile-summary.ts (the profiler slows it down).
 * --no-bare skips step 4 (its columns print —), e.g. for a profile.
 * --marks prints the phases' start/end as epoch seconds (to line up with a CPU sampler).
 * --fresh drops the bench database first (embedded cluster only). Without it
 * every run adds its 100,000 molecules to those of the runs before, and the
 * import's database work grows with the tables: compare runs made alike.
 *
 * Uses DATABASE_URL/REDIS_URL when set, else starts its own (scripts/services.ts).
 * Prints figures; asserts nothing (timings never fail a test).
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { createQueues, ingestJobId } from '../../common/queues';
import { signUp } from '../../db/access/accounts';
import { createImport } from '../../db/access/imports';
import { listMolecules } from '../../db/access/molecules';
import { authenticateToken } from '../../db/auth';
import { createDb, closeDb } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { imports } from '../../db/schema';
import { ensureServices } from '../../scripts/services';
import { previewFile } from '../../ingest/preview';
import { generateMolecules, writeMoleculesCsv } from './generate';
import { runBarePipeline } from './bare-pipeline';

const root = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rows = arg('rows', 100_000);
const threads = arg('threads', os.availableParallelism());
const profile = process.argv.includes('--profile');
const skipBare = process.argv.includes('--no-bare');
const marks = process.argv.includes('--marks');
const fresh = process.argv.includes('--fresh');
/** CLOCK_MONOTONIC µs, the clock V8 stamps profile samples with. */
const monoUs = () => Math.round(Number(process.hrtime.bigint()) / 1000);
const fmt = (n: number, d = 0) => (Number.isNaN(n) ? '—' : n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }));

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
  return kb / 1024;
}

async function main() {
  const services = await ensureServices({ dataDir: path.join(root, '.data'), database: 'crosslink_bench', freshDatabase: fresh, log: (s) => console.log(s) });
  const prefix = `crosslink-bench-${Date.now().toString(36)}`;
  let worker: ReturnType<typeof spawn> | null = null;
  const db = createDb(services.databaseUrl, { max: 4 });
  try {
    await runMigrations(services.databaseUrl);
    console.log(`[bench] generating ${fmt(rows)} molecules…`);
    const molecules = await generateMolecules(rows, 42);
    const uploadDir = path.join(root, '.data', 'uploads', 'bench');
    await mkdir(uploadDir, { recursive: true });
    const csvPath = path.join(uploadDir, `bench-${rows}.csv`);
    await writeMoleculesCsv(csvPath, molecules);

    const profileDir = path.join(root, '.data', 'bench-ingest-profiles', new Date().toISOString().replace(/[:.]/g, '-'));
    if (profile) await mkdir(profileDir, { recursive: true });
    // The chemistry pool passes --cpu-prof* on to its threads (chem/pool.ts).
    const profileArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    worker = spawn(process.execPath, [...profileArgs, '--import', 'tsx', 'workers/index.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl, REDIS_PREFIX: prefix, CHEM_THREADS: String(threads), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit']
    });
    const workerPid = worker.pid!;

    const email = `bench-${Date.now()}@bench.example`;
    const org = await signUp(db, { email, password: 'bench password', name: 'Bench', organization: { name: `Bench ${new Date().toISOString()}`, kind: 'pharma' } }, { via: 'api' });
    const actor = (await authenticateToken(db, org.session.token))!;
    const stored = path.join(uploadDir, `${Date.now()}.upload`);
    await copyFile(csvPath, stored);
    const preview = await previewFile(stored, { filename: 'bench.csv' });
    const mapping = preview.suggestedMapping!;
    const queues = createQueues(services.redisUrl, prefix);

    const t0 = performance.now();
    const t0Us = monoUs();
    const t0Epoch = Date.now() / 1000;
    let registeredEpoch = 0;
    let registeredUs = 0;
    const row = await createImport(
      db,
      actor,
      { filename: 'bench.csv', format: preview.format, compression: preview.compression, encoding: preview.encoding, sizeBytes: 0, storagePath: stored, mapping },
      { via: 'api' }
    );
    await queues.enqueue('ingest', 'import', { owner: { userId: actor.user.id, organizationId: actor.organization!.id }, importId: row.id }, { jobId: ingestJobId(row) });
    let registeredAt = 0;
    let completeAt = 0;
    let last = 0;
    for (;;) {
      const [s] = await db.select().from(imports).where(eq(imports.id, row.id));
      const now = performance.now();
      if (!registeredAt && s.totalRows !== null && s.processedRows >= s.totalRows && s.processedRows > 0) {
        registeredAt = now;
        registeredUs = monoUs();
        registeredEpoch = Date.now() / 1000;
      }
      if (s.status === 'completed') {
        completeAt = now;
        registeredAt ||= now;
        registeredUs ||= monoUs();
        registeredEpoch ||= Date.now() / 1000;
        if (marks) console.log(`[bench] marks (epoch s): start ${t0Epoch.toFixed(2)} registered ${registeredEpoch.toFixed(2)} complete ${(Date.now() / 1000).toFixed(2)}`);
        if (profile) {
          const doneUs = monoUs();
          console.log(`[bench] profiles in ${profileDir} (written when the workers process exits); windows, CLOCK_MONOTONIC µs:`);
          console.log(`[bench]   registration ${t0Us} ${registeredUs}   descriptors ${registeredUs} ${doneUs}`);
        }
        console.log(`[bench] import: ${fmt(s.registered)} registered, ${fmt(s.duplicates)} duplicates, ${fmt(s.invalid)} invalid of ${fmt(s.totalRows ?? 0)}`);
        break;
      }
      if (s.status !== 'queued' && s.status !== 'running') throw new Error(`import ended ${s.status}: ${JSON.stringify(s.error)}`);
      if (now - last > 5000) {
        console.log(`[bench]   ${fmt(s.processedRows)} rows, ${fmt(s.descriptorsDone)} described`);
        last = now;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const peakMb = await peakRssMb(workerPid);
    await queues.close();
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGTERM');
    if (profile) await exited; // the profiles are written as it exits

    // Registry first page at this size (the query behind GET /api/v1/molecules).
    const pageTimes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      await listMolecules(db, actor, {}, { page: 1, pageSize: 50 });
      pageTimes.push(performance.now() - t);
    }
    pageTimes.sort((a, b) => a - b);

    if (!skipBare) console.log(`[bench] bare RDKit pipeline on the same ${fmt(rows)} rows (${threads} threads)…`);
    const bare = skipBare ? { registerPerSec: NaN, completePerSec: NaN } : await runBarePipeline(molecules.map((m) => m.smiles), { threads });

    const regRate = rows / ((registeredAt - t0) / 1000);
    const completeRate = rows / ((completeAt - t0) / 1000);
    console.log('\n  bench/ingest — ' + `${fmt(rows)} rows, ${threads} chemistry threads, ${os.cpus().length} cores\n`);
    console.log('  measure                         Crosslink import   bare RDKit pipeline   ratio (bare/import)   target');
    console.log(`  to "registered" (mol/s)         ${fmt(regRate).padStart(16)}   ${fmt(bare.registerPerSec).padStart(19)}   ${fmt(bare.registerPerSec / regRate, 2).padStart(19)}   ≥ 1,500/s, ≤ 1.3×`);
    console.log(`  to "complete" (mol/s)           ${fmt(completeRate).padStart(16)}   ${fmt(bare.completePerSec).padStart(19)}   ${fmt(bare.completePerSec / completeRate, 2).padStart(19)}   ≥ 800/s, ≤ 1.3×`);
    console.log(`  peak worker RSS (MB)            ${fmt(peakMb).padStart(16)}   ${'—'.padStart(19)}   ${''.padStart(19)}   ≤ 1,024`);
    console.log(`  registry first page (ms, median) ${fmt(pageTimes[3], 1).padStart(15)}   ${'—'.padStart(19)}   ${''.padStart(19)}   ≤ 100`);
    console.log('  rows written with COPY (db/access/ingest.ts); registered = committed and searchable.\n');
  } finally {
    if (worker && worker.exitCode === null) worker.kill('SIGTERM');
    await closeDb(db);
    await services.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
