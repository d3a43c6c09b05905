#!/usr/bin/env node
// Builds (or links from the cache) dl's patched tfjs-node; exit 1 when the native backend could not be set up.
import { setupNative } from '../dist/setup.js';

const result = await setupNative();
process.exitCode = result.ok ? 0 : 1;
