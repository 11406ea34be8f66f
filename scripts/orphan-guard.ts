/**
 * Preloaded (`node --import ./scripts/orphan-guard.ts`) into the processes scripts/start.ts
 * spawns. They run in their own process group (so they get exactly one, orderly SIGTERM
 * from us), which also means nothing stops them if the launcher is SIGKILLed: when our
 * parent disappears, shut ourselves down the normal way instead of lingering on the port.
 */
const launcher = process.ppid;
setInterval(() => {
  if (process.ppid !== launcher) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();

export {};
