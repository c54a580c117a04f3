/**
 * Preloaded into a measured process (`node --import <this file> …`): on exit it writes the CPU
 * time the process used, `cpu user U ms, system S ms`, as the last line on stderr. Wall time alone
 * says little on a shared box; the CPU time is what start-up work costs whatever the load.
 */
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`cpu user ${(user / 1000).toFixed(0)} ms, system ${(system / 1000).toFixed(0)} ms\n`);
});
