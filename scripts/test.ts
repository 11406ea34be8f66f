/**
 * `npm test`: unit -> integration -> e2e, one services instance for all of them.
 *   npm test -- --only=unit|integration|e2e     one tier
 * DATABASE_URL / REDIS_URL set -> used as-is (DATABASE_OWNER_URL for migrations when set); else PostgreSQL (fresh database `crosslink_test`)
 * and Redis are started under .data/. The unit tier starts with the module-boundary check
 * (scripts/dependency-rules.ts, rules in .dependency-cruiser.mjs), counted as one test.
 * Ends with `tests: N passed, N failed[, N skipped]`; exits non-zero if a tier failed or ran no test.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runMigrations } from '../db/migrate';
import { ensureServices, redact, type Services } from './services';
import { buildWebIfStale, repoRoot } from './start';

type Tier = 'unit' | 'integration' | 'e2e';
const tiers: Tier[] = ['unit', 'integration', 'e2e'];
/** What the summary lists: the tiers, and the dependency check before the unit tier. */
type Step = Tier | 'dependencies';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** Why the tier failed beyond failed tests (crash, no report, no tests). */
  problem?: string;
}

const reportsDir = path.join(repoRoot, 'test-results');
const log = (s: string) => console.log(`[test] ${s}`);

function parseArgs(argv: string[]): Tier[] {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return tiers;
  const value = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  const picked = (value ?? '').split(',').filter(Boolean) as Tier[];
  const bad = picked.filter((t) => !tiers.includes(t));
  if (!picked.length || bad.length) {
    console.error(`usage: npm test -- [--only=${tiers.join('|')}]`);
    process.exit(64);
  }
  return tiers.filter((t) => picked.includes(t));
}

let current: ReturnType<typeof spawn> | null = null;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  console.log(`\n[test] $ ${cmd} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: 'inherit' });
    current = child;
    child.on('error', (err) => {
      console.error(`[test] cannot run ${cmd}: ${err.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      current = null;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

function readJson(file: string): any | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

async function runVitest(tier: 'unit' | 'integration', env: NodeJS.ProcessEnv): Promise<Counts> {
  const out = path.join(reportsDir, `vitest-${tier}.json`);
  fs.rmSync(out, { force: true });
  const code = await run(
    'npx',
    ['vitest', 'run', '--project', tier, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
    env
  );
  const r = readJson(out);
  if (!r) return { passed: 0, failed: 0, skipped: 0, problem: `vitest exited ${code} without a report` };
  const counts: Counts = {
    passed: r.numPassedTests ?? 0,
    failed: r.numFailedTests ?? 0,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  };
  // Suites that failed to load (syntax error, bad import) have no tests but fail the run.
  const brokenFiles = (r.testResults ?? []).filter((f: any) => f.status === 'failed' && !f.assertionResults?.length).length;
  if (code !== 0 && counts.failed === 0 && (r.numTotalTests ?? 0) === 0 && !brokenFiles) {
    counts.problem = 'ran no tests';
  } else if (code !== 0 && counts.failed === 0) {
    counts.problem = brokenFiles ? `${brokenFiles} test file(s) failed to run` : `vitest exited with code ${code}`;
  }
  return counts;
}

/** The module boundaries: one check, failed by any violation (each printed by the script). */
async function runDependencyRules(env: NodeJS.ProcessEnv): Promise<Counts> {
  const code = await run(process.execPath, ['--import', 'tsx', 'scripts/dependency-rules.ts'], env);
  if (code === 0) return { passed: 1, failed: 0, skipped: 0 };
  if (code === 1) return { passed: 0, failed: 1, skipped: 0, problem: 'a module-boundary rule is broken (see above)' };
  return { passed: 0, failed: 0, skipped: 0, problem: `dependency check exited ${code}` };
}

async function runPlaywright(env: NodeJS.ProcessEnv): Promise<Counts> {
  const out = path.join(reportsDir, 'e2e-report.json');
  fs.rmSync(out, { force: true });
  const code = await run('npx', ['playwright', 'test'], env);
  const r = readJson(out);
  if (!r) return { passed: 0, failed: 0, skipped: 0, problem: `playwright exited ${code} without a report` };
  const s = r.stats ?? {};
  const counts: Counts = {
    passed: (s.expected ?? 0) + (s.flaky ?? 0),
    failed: s.unexpected ?? 0,
    skipped: s.skipped ?? 0
  };
  // Global errors: the web server did not start, a spec failed to load, ...
  if (code !== 0 && counts.failed === 0) {
    counts.problem = r.errors?.length
      ? `playwright: ${String(r.errors[0].message ?? '').split('\n')[0]}`
      : `playwright exited with code ${code}`;
  }
  return counts;
}

async function main() {
  const selected = parseArgs(process.argv.slice(2));
  fs.mkdirSync(reportsDir, { recursive: true });
  const needServices = selected.some((t) => t !== 'unit');

  let services: Services | null = null;
  let servicesStarting: Promise<Services> | null = null;
  let interrupted = false;
  const onSignal = async (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n[test] ${sig}: stopping`);
    current?.kill(sig);
    const s = services ?? (await servicesStarting?.catch(() => null));
    await s?.stop();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test' };
  // Keeps test keys apart when REDIS_URL points at a Redis something else uses.
  env.REDIS_PREFIX ??= 'crosslink-test';
  const results = new Map<Step, Counts>();
  const steps: Step[] = selected.flatMap((t): Step[] => (t === 'unit' ? ['dependencies', 'unit'] : [t]));

  try {
    if (needServices) {
      servicesStarting = ensureServices({ dataDir: path.join(repoRoot, '.data'), database: 'crosslink_test', freshDatabase: true });
      services = await servicesStarting;
      // The tests and the e2e stack connect as the app role (least privilege, as in production);
      // tests that need the owner's rights read DATABASE_OWNER_URL.
      Object.assign(env, services.processEnv(), { DATABASE_OWNER_URL: services.databaseUrl });
      log(`database ${redact(services.appDatabaseUrl)}, redis ${services.redisUrl}`);
      await runMigrations(services.databaseUrl);
      log('migrations applied');
    }
    // The launcher test (workers/test/launcher-restart.test.ts) runs the real web entry, which
    // serves the build; e2e would build it next anyway.
    if (selected.includes('integration')) await buildWebIfStale(log, { quiet: true });
    for (const tier of selected) {
      if (interrupted) break;
      if (tier === 'unit') results.set('dependencies', await runDependencyRules(env));
      if (interrupted) break;
      const counts = tier === 'e2e' ? await runPlaywright(env) : await runVitest(tier, env);
      if (!counts.problem && counts.passed + counts.failed === 0) counts.problem = 'ran no tests';
      results.set(tier, counts);
    }
  } catch (err) {
    console.error(`\n[test] ${err instanceof Error ? err.message : String(err)}`);
    results.set(steps.find((s) => !results.has(s)) ?? 'unit', { passed: 0, failed: 0, skipped: 0, problem: 'setup failed' });
  } finally {
    await services?.stop();
  }

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let ok = steps.every((s) => results.has(s));
  console.log('\n[test] summary');
  for (const tier of steps) {
    const c = results.get(tier);
    if (!c) {
      console.log(`  ${tier.padEnd(12)} not run`);
      continue;
    }
    passed += c.passed;
    failed += c.failed;
    skipped += c.skipped;
    if (c.failed || c.problem) ok = false;
    console.log(
      `  ${tier.padEnd(12)} ${String(c.passed).padStart(4)} ok  ${String(c.failed).padStart(4)} failing  ${String(c.skipped).padStart(4)} skipped` +
        (c.problem ? `  <- ${c.problem}` : '')
    );
  }
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(ok ? 0 : 1);
}

void main();
