/**
 * Checks the module boundaries in .dependency-cruiser.mjs (no import cycles, no web → workers,
 * no db → processes, …). The first step of the unit tier in `npm test`; on its own:
 *   node --import tsx scripts/dependency-rules.ts [--root <dir>]
 * Prints one line per violation and exits 1 when there is any (0 when clean, 2 when it could
 * not run). `--root` checks another tree with the same rules (the rules' own test does, on a
 * fixture tree that breaks them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The folders that hold code, where they exist under the root. */
export const SOURCE_FOLDERS = ['common', 'db', 'chem', 'ingest', 'web', 'collab-server', 'workers', 'scripts', 'bench', 'e2e'];

export interface Violation {
  rule: string;
  from: string;
  to: string;
  /** For cycles: the modules around the cycle, starting at `from`. */
  cycle: string[];
}

export interface DependencyReport {
  modules: number;
  violations: Violation[];
}

/** Cruise `root` with the repository's rules and return what breaks them (errors only). */
export async function checkDependencyRules(root = repoRoot): Promise<DependencyReport> {
  const config = ((await import(pathToFileURL(path.join(repoRoot, '.dependency-cruiser.mjs')).href)) as { default: IConfiguration }).default;
  const folders = SOURCE_FOLDERS.filter((f) => fs.existsSync(path.join(root, f)));
  if (!folders.length) throw new Error(`no source folders under ${root}`);
  const { enhancedResolveOptions, ...options } = config.options ?? {};
  const result = await cruise(
    folders,
    { ...options, baseDir: root, validate: true, ruleSet: { forbidden: config.forbidden }, outputType: 'json' },
    enhancedResolveOptions
  );
  const output = (typeof result.output === 'string' ? JSON.parse(result.output) : result.output) as ICruiseResult;
  const violations = output.summary.violations
    .filter((v) => v.rule.severity === 'error')
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.to, cycle: (v.cycle ?? []).map((c) => (typeof c === 'string' ? c : c.name)) }));
  return { modules: output.summary.totalCruised, violations };
}

export function describeViolation(v: Violation): string {
  return v.cycle.length ? `${v.rule}: ${[v.from, ...v.cycle].join(' → ')}` : `${v.rule}: ${v.from} → ${v.to}`;
}

async function main() {
  const { values } = parseArgs({ options: { root: { type: 'string' } } });
  const root = path.resolve(values.root ?? repoRoot);
  let report: DependencyReport;
  try {
    report = await checkDependencyRules(root);
  } catch (err) {
    console.error(`[dependencies] could not check: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  for (const v of report.violations) console.error(`[dependencies] ${describeViolation(v)}`);
  console.log(
    `[dependencies] ${report.modules} modules, ${report.violations.length ? `${report.violations.length} violation(s) of .dependency-cruiser.mjs` : 'no rule broken'}`
  );
  process.exit(report.violations.length ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
