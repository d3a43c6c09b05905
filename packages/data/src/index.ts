/**
 * @dl/data: datasets as plain typed arrays with shapes, no ML framework.
 *
 *   import { mnist } from '@dl/data';
 *   const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData();
 */
export * as mnist from './mnist.js';
export { getFile, type GetFileOptions } from './get-file.js';
export { datasetsDir } from './datasets-dir.js';
export { DatasetError } from './dataset-error.js';
export { readIdx } from './idx.js';
export type { NDArray } from './ndarray.js';
