/**
 * Finds the processors: every `workers/processors/<queue>.ts` (or `.js`)
 * whose default export is a `defineProcessor`/`defineSandboxedProcessor` for
 * `<queue>`. Files with a second dot (`x.sandbox.ts`, `x.test.ts`, `x.d.ts`)
 * or a leading `_` are helpers and skipped. Whether every queue of the
 * contract has a processor is checked by `startWorkers`.
 */
import { readdir } from 'node:fs/promises';
import { AppError } from '../common/errors';
import { isProcessorDefinition, type AnyProcessor } from './processor';

export const PROCESSORS_DIR = new URL('./processors/', import.meta.url);

const PROCESSOR_FILE = /^([a-z0-9][a-z0-9_-]*)\.(ts|js|mjs)$/;

export async function loadProcessors(dir: URL = PROCESSORS_DIR): Promise<AnyProcessor[]> {
  const files = (await readdir(dir)).filter((f) => PROCESSOR_FILE.test(f)).sort();
  const problems: string[] = [];
  const processors: AnyProcessor[] = [];
  for (const file of files) {
    const base = PROCESSOR_FILE.exec(file)![1];
    const mod = (await import(new URL(file, dir).href)) as { default?: unknown };
    if (!isProcessorDefinition(mod.default)) {
      problems.push(`${file}: default export is not defineProcessor(…)/defineSandboxedProcessor(…)`);
    } else if (mod.default.queue !== base) {
      problems.push(`${file}: defines a processor for queue "${mod.default.queue}"; the file must be named ${mod.default.queue}.ts`);
    } else {
      processors.push(mod.default);
    }
  }
  if (problems.length) {
    throw new AppError(
      'INTERNAL_ERROR',
      `Invalid processor files in ${dir.pathname}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      problems.map((message) => ({ message }))
    );
  }
  return processors;
}
