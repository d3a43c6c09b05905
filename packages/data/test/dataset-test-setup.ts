// Setup the dataset tests share: a temp folder per test that the datasets cache points into (a developer's real
// cache never leaks into a test), and the check that a promise fails with a DatasetError.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { DatasetError } from '../src/dataset-error.js';
import { tempDir } from './idx-fixtures.js';

/**
 * Gives each test of the file a new temp folder (passed to `onCreate`), with `DL_DATASETS_DIR` at its
 * `default-cache/`; afterwards removes it and undoes the test's stubs and mocks.
 */
export function eachTestInTempFolder(onCreate: (dir: string) => void): void {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await tempDir();
    vi.stubEnv('DL_DATASETS_DIR', join(dir, 'default-cache'));
    onCreate(dir);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
}

/** Runs `promise`, which must reject with a DatasetError, and returns the error. */
export async function datasetError(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}
