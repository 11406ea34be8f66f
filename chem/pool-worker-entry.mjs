/**
 * Entry file of each chemistry pool thread. Plain JavaScript on purpose: the
 * host may run TypeScript through `node --import tsx` (workers, scripts) or
 * through vitest's own module runner, and threads do not reliably inherit
 * either. tsx's scoped `tsImport` loads the TypeScript side here whatever
 * the host did, resolved from this file rather than the working directory.
 *
 * Tasks return `{ value, transfer }`; piscina's `move` must come from the
 * same piscina instance that runs this thread, which is the one resolved
 * from here.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { tsImport } from 'tsx/esm/api';

const tasks = await tsImport('./pool-worker.ts', import.meta.url);

const transferring =
  (task) =>
  async (input) => {
    const { value, transfer } = await task(input);
    if (transfer.length === 0) return value;
    return move({
      get [transferableSymbol]() {
        return transfer;
      },
      get [valueSymbol]() {
        return value;
      }
    });
  };

export const register = transferring(tasks.register);
export const describe = transferring(tasks.describe);
export const memory = transferring(tasks.memory);
