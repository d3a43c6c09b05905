// Filesystem errors (a path through a file, a read-only or full disk) are one line naming the path and the fix,
// exit 2, no stack trace, rather than raw errno text with exit 1.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsErrorMessage } from '../src/fs-error.js';
import { runDl, STACK_LINE, tempFolderForFile } from './run-dl.js';

let root: string;

tempFolderForFile((dir) => {
  root = dir;
});

/** An error as Node's fs raises it. */
function fsError(code: string, syscall: string, path?: string): Error {
  return Object.assign(new Error(`${code}: raw errno text, ${syscall}`), { code, syscall, ...(path === undefined ? {} : { path }) });
}

describe('filesystem errors', () => {
  it('train --out under a file: exit 2, the path and the fix, no stack trace', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'not a folder');
    const out = join(file, 'run');
    const r = await runDl(['train', 'cnn', '--limit', '200', '--epochs', '1', '--out', out], {
      cwd: root,
      env: { DL_DATASETS_DIR: join(root, 'empty-cache') },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: cannot create the folder ${out}: a part of the path is a file, not a folder.`);
    expect(r.stderr).not.toContain('ENOTDIR');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it("train --out under /proc (where Node's recursive mkdir would loop forever): exit 2 at once, before any data loads", async () => {
    const r = await runDl(['train', 'cnn', '--limit', '200', '--epochs', '1', '--out', '/proc/dl-test-run'], {
      cwd: root,
      env: { DL_DATASETS_DIR: join(root, 'empty-cache') },
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: cannot create the folder /proc/dl-test-run:');
    expect(r.stderr).not.toMatch(/MNIST:/); // no dataset source was even looked for
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('names the path, the problem and a fix for each mapped code', () => {
    expect(fsErrorMessage(fsError('EROFS', 'mkdir', '/ro/run'))).toBe(
      'cannot create the folder /ro/run: the file system is read-only. Choose a folder on a writable disk (e.g. with --out).',
    );
    expect(fsErrorMessage(fsError('EACCES', 'open', '/x/model.json'))).toMatch(/^cannot open \/x\/model\.json: permission denied\. /);
    for (const code of ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EMFILE']) {
      expect(fsErrorMessage(fsError(code, 'open', '/p'))).toMatch(/^cannot open \/p: .+\. .+\.$/);
    }
  });

  it('ENOSPC on an open file, which carries no path, says so', () => {
    expect(fsErrorMessage(fsError('ENOSPC', 'write'))).toBe(
      'cannot write a file (the system did not say which; see the output folder): no space left on the device. ' +
        'Free some disk space, or choose a folder on another disk (e.g. with --out).',
    );
  });

  it('leaves other errors alone', () => {
    expect(fsErrorMessage(new Error('boom'))).toBeUndefined();
    expect(fsErrorMessage(fsError('ECONNRESET', 'read', '/p'))).toBeUndefined();
  });
});
