/**
 * Returns a function that yields to the event loop once more than `sliceMs`
 * of synchronous work has passed since the last yield. Long loops in servers
 * that also carry live traffic (the collab-server replaying a hundred board
 * edits into history, hashing a thousand audit events) call it each round, so
 * messages arriving meanwhile wait for one slice, not for all of it.
 */
export function cooperative(sliceMs = 4): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}
