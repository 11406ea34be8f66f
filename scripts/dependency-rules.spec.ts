/**
 * The dependency rules (.dependency-cruiser.mjs) run by `npm test`, on two fixture trees:
 * one that breaks them (a type-only import cycle, web → workers, db → web) and one that
 * keeps them. Runs the same entry `npm test` runs, so a rule that cannot fail fails here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const fixtures = path.join(here, 'fixtures/dependency-rules');

async function check(tree: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'dependency-rules.ts'), '--root', path.join(fixtures, tree)],
      { cwd: repoRoot }
    );
    return { code: 0, output: stderr + stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: (e.stderr ?? '') + (e.stdout ?? '') };
  }
}

describe.concurrent('dependency rules', () => {
  it('fail the run on an import cycle, web → workers and db → web, naming each', async () => {
    const { code, output } = await check('broken');
    expect(code).toBe(1);
    expect(output).toContain('no-circular: common/format.ts → common/units.ts → common/format.ts');
    expect(output).toContain('no-web-to-workers: web/src/routes/page.ts → workers/job.ts');
    expect(output).toContain('no-db-to-processes: db/rows.ts → web/src/routes/page.ts');
  }, 60_000);

  it('pass a tree that keeps them', async () => {
    const { code, output } = await check('clean');
    expect(output).toContain('4 modules, no rule broken');
    expect(code).toBe(0);
  }, 60_000);
});
