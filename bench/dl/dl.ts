/**
 * dl's public API as the benchmark uses it: the packages' compiled output (packages/*\/dist, made by `npx tsc -b`).
 * bench/ is not a workspace package, so it imports them by path; this is the one place that names those paths.
 *
 * The harness copies the three packages' dist folders at the start of a run and points `DL_BENCH_PACKAGES` at the
 * copy, so a rebuild of dl while the benchmark runs (other work on the repository) cannot mix two versions of dl into
 * one run. Without it, the live packages/ are used.
 */
import { pathToFileURL } from 'node:url';
import type * as Core from '../../packages/core/dist/index.js';
import type * as Models from '../../packages/models/dist/index.js';

const packages = process.env.DL_BENCH_PACKAGES
  ? pathToFileURL(`${process.env.DL_BENCH_PACKAGES}/`)
  : new URL('../../packages/', import.meta.url);
const core = (await import(new URL('core/dist/index.js', packages).href)) as typeof Core;
const models = (await import(new URL('models/dist/index.js', packages).href)) as typeof Models;

/** Where dl was loaded from (the run's copy of packages/, or packages/ itself). */
export const dlPackages = packages.pathname;

export const { backendInfo, getOptimizer, layers, sequential, tf } = core;
export const Callback = core.Callback;
export type Callback = Core.Callback;
export const Model = core.Model;
export type Model = Core.Model;
export const { PRESETS } = models;
export type { Batch, CompileOptions, Logs, ShapedArray } from '../../packages/core/dist/index.js';
export type { Preset } from '../../packages/models/dist/index.js';
