/**
 * Preloaded by bench/collab/run.ts into both servers under test
 * (`node --import ./bench/collab/loop-probe.ts …`): measures the process's
 * event-loop delay (how long a ready callback — e.g. an incoming update —
 * waits behind other work) and prints one line per second:
 *
 *   [loop-probe] <CLOCK_MONOTONIC µs> <p99 ms> <max ms>
 *
 * Cost: one 10 ms libuv timer and one 1 s interval; the same in both servers.
 * Server code is not touched.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();
// Node reports the timer's whole period; the delay is what exceeds it.
const lag = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1);
setInterval(() => {
  if (histogram.count > 0) {
    console.log(`[loop-probe] ${(process.hrtime.bigint() / 1000n).toString()} ${lag(histogram.percentile(99))} ${lag(histogram.max)}`);
  }
  histogram.reset();
}, 1000).unref();

export {};
