// Preloaded (node --import) into the server process that bench/soak.ts (and bench/overload.ts) start:
// answers the bench's IPC question "how big are you?" with process.memoryUsage() before and after a
// forced collection (when node runs with --expose-gc) and the active resources by type
// (process.getActiveResourcesInfo(): sockets, timers, file handles…). Nothing else: the server itself
// is the unmodified `callwright start`.
// The IPC channel must not keep the server alive: `callwright start` ending (an error at start-up, SIGTERM)
// ends the process as it would without the bench.
process.channel?.unref();
process.on('message', (message) => {
  if (!message || message.type !== 'soak-probe') return;
  const before = process.memoryUsage();
  const collected = Boolean(message.gc) && typeof globalThis.gc === 'function';
  if (collected) globalThis.gc();
  const after = collected ? process.memoryUsage() : before;
  const resources = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  process.send?.({ type: 'soak-probe', id: message.id, before, after, collected, resources });
});
