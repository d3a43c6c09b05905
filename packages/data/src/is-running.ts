/**
 * Whether a process of this host is alive, by its pid: what tells a crashed lock holder, or the temp file of a
 * killed writer, from a live one. The one place dl asks (the dataset cache's locks, run-folder locks, model saves).
 */
export function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to another user.
    return (error as NodeJS.ErrnoException | undefined)?.code === 'EPERM';
  }
}
