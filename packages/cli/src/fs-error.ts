/**
 * Node's filesystem errors (a read-only or full disk, a path through a file, no permission) as one line naming the
 * path and the fix: raw errno text ("ENOENT: no such file or directory, mkdir '…'") names neither the cause nor what
 * to do, and ENOSPC names no path at all.
 */

interface FsError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

/** The error codes mapped: each is the user's environment or paths, not a bug in dl. */
const FIXES: Record<string, { problem: string; fix: string }> = {
  EACCES: { problem: 'permission denied', fix: 'Choose a folder you can write to (e.g. with --out), or change its permissions.' },
  EPERM: { problem: 'operation not permitted', fix: 'Choose a folder you can write to (e.g. with --out), or change its permissions.' },
  EROFS: { problem: 'the file system is read-only', fix: 'Choose a folder on a writable disk (e.g. with --out).' },
  ENOSPC: { problem: 'no space left on the device', fix: 'Free some disk space, or choose a folder on another disk (e.g. with --out).' },
  ENOENT: {
    problem: 'no such file or folder (or a parent folder cannot be created there)',
    fix: 'Check the path; for an output, choose a folder in a writable place (e.g. with --out).',
  },
  ENOTDIR: { problem: 'a part of the path is a file, not a folder', fix: 'Choose a path whose parents are folders.' },
  EISDIR: { problem: 'it is a folder where a file was expected', fix: 'Give the path of a file, not of a folder.' },
  EEXIST: { problem: 'it already exists', fix: 'Remove it, or choose another path.' },
  EMFILE: { problem: 'too many open files', fix: 'Raise the limit (`ulimit -n 4096`) or close other programs, and run again.' },
};

/** What dl was doing, from the failing system call. */
const ACTIONS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  write: 'write',
  rename: 'rename',
  unlink: 'delete',
  rmdir: 'delete the folder',
  scandir: 'list the folder',
  stat: 'read',
  lstat: 'read',
  read: 'read',
  copyfile: 'copy',
  fsync: 'write',
};

/** The one-line message for a filesystem error dl should report as the user's to fix, or undefined for any other error. */
export function fsErrorMessage(error: Error): string | undefined {
  const code = (error as Partial<FsError>).code;
  if (typeof code !== 'string' || !Object.hasOwn(FIXES, code)) return undefined;
  const { problem, fix } = FIXES[code]!;
  const { path, syscall } = error as FsError;
  const action = (syscall && ACTIONS[syscall]) ?? 'access';
  // A failed write on an open file (ENOSPC) carries no path: say so rather than name a wrong one.
  const what = path ? `cannot ${action} ${path}` : `cannot ${action} a file (the system did not say which; see the output folder)`;
  return `${what}: ${problem}. ${fix}`;
}
