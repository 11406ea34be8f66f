/**
 * RDKit.js (RDKit MinimalLib compiled to WebAssembly), loaded once per
 * process or worker thread.
 *
 * - RDKit reports why a structure is bad only through its log, so the log is
 *   captured (not printed to stderr) and each operation drains it with
 *   `takeRDKitLog()`; nothing else would ever empty that buffer.
 * - The wasm is instantiated here rather than by the Emscripten loader so the
 *   module's linear memory is in hand: `wasmHeapBytes()` is how leaks of
 *   undeleted `JSMol`s are measured (the heap grows, it never shrinks).
 * - Every `JSMol` / `MolList` lives on that heap until `.delete()`; use
 *   `withMol` or a `finally`.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import initRDKitModule, { type Log, type MainModule, type Mol, type MolList } from '@rdkit/rdkit';
import { AppError } from '../common/errors';

export type RDKitModule = MainModule;
export type RDKitMol = Mol;
export type RDKitMolList = MolList;

interface LoadedRDKit {
  module: RDKitModule;
  log: Log | null;
  memory: WebAssembly.Memory | null;
}

let loading: Promise<LoadedRDKit> | null = null;
let current: LoadedRDKit | null = null;

/** Resolves once RDKit is usable in this process/thread; later calls reuse it. */
export async function getRDKit(): Promise<RDKitModule> {
  loading ??= load().then(
    (loaded) => (current = loaded),
    (err: unknown) => {
      loading = null; // let the next caller try again
      throw new AppError('SERVICE_UNAVAILABLE', `RDKit could not be loaded: ${(err as Error)?.message ?? err}`);
    }
  );
  return (await loading).module;
}

/** The module for synchronous callers that awaited `getRDKit()` before. */
export function loadedRDKit(): RDKitModule {
  if (!current) throw new AppError('INTERNAL_ERROR', 'RDKit is not loaded yet: await getRDKit() first');
  return current.module;
}

/**
 * After a WebAssembly trap (Emscripten abort, out-of-bounds access) the
 * module's state cannot be trusted; drop it and start loading a fresh
 * instance, which the next `getRDKit()` returns.
 */
export function discardRDKit(module: RDKitModule): void {
  if (current?.module !== module) return;
  try {
    current.log?.delete();
  } catch {
    // an aborted module may refuse even this; it is being dropped anyway
  }
  current = null;
  loading = null;
  getRDKit().catch(() => {}); // a failure here is reported to the next caller, who retries
}

/** Lines RDKit logged since the last call (timestamps removed); empties the buffer. */
export function takeRDKitLog(module?: RDKitModule): string[] {
  const log = current && (!module || module === current.module) ? current.log : null;
  if (!log) return [];
  const text = log.get_buffer();
  if (!text) return [];
  log.clear_buffer();
  return text
    .split('\n')
    .map((line) => line.replace(/^\[\d\d:\d\d:\d\d\]\s?/, '').trimEnd())
    .filter((line) => line.length > 0);
}

/** Size of this thread's RDKit linear memory; grows on demand and is never returned to the OS. */
export function wasmHeapBytes(): number {
  return current?.memory?.buffer.byteLength ?? 0;
}

/** Run `fn` on a molecule and always free it. */
export function withMol<T>(mol: RDKitMol, fn: (mol: RDKitMol) => T): T {
  try {
    return fn(mol);
  } finally {
    mol.delete();
  }
}

async function load(): Promise<LoadedRDKit> {
  // Resolved from this file, not the working directory, so it also works from
  // SvelteKit's server bundle and from worker threads.
  const wasmPath = createRequire(import.meta.url).resolve('@rdkit/rdkit/RDKit_minimal.wasm');
  const wasmBytes = await readFile(wasmPath);
  let memory: WebAssembly.Memory | null = null;
  let failInstantiation: (err: unknown) => void = () => {};
  const instantiationFailed = new Promise<never>((_, reject) => (failInstantiation = reject));

  const module = await Promise.race([
    initRDKitModule({
      // Emscripten calls this instead of fetching the wasm itself; its own
      // error path would leave the returned promise pending forever.
      instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) {
        WebAssembly.instantiate(wasmBytes, imports).then(({ instance }) => {
          memory = findMemory(instance, imports);
          receive(instance);
        }, failInstantiation);
        return {};
      }
    }),
    instantiationFailed
  ]);

  // 'rdApp.*' = info, warning and error channels; capturing also silences them on stderr.
  const log = module.set_log_capture('rdApp.*');
  return { module, log, memory };
}

function findMemory(instance: WebAssembly.Instance, imports: WebAssembly.Imports): WebAssembly.Memory | null {
  for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) return value;
  for (const ns of Object.values(imports))
    for (const value of Object.values(ns)) if (value instanceof WebAssembly.Memory) return value;
  return null;
}
