/**
 * @dl/data: datasets as plain typed arrays with shapes, no ML framework.
 *
 *   import { mnist, imdb } from '@dl/data';
 *   const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData();
 *   const [[reviews, labels]] = await imdb.loadData({ numWords: 10000 });
 */
export * as mnist from './mnist.js';
export * as imdb from './imdb.js';
export { getFile, type GetFileOptions } from './get-file.js';
export { extractArchive, type ExtractArchiveOptions } from './extract-archive.js';
export { datasetsDir } from './datasets-dir.js';
export { DatasetError } from './dataset-error.js';
export { readIdx } from './idx.js';
export type { NDArray } from './ndarray.js';
export { raggedFromRows, raggedRow, raggedRows, type RaggedArray } from './ragged.js';
export { padSequences, type PadSequencesOptions } from './pad-sequences.js';
export {
  OOV_TOKEN,
  PADDING_TOKEN,
  TextVectorization,
  tokenize,
  type StandardizeMode,
  type TextVectorizationJSON,
  type TextVectorizationOptions,
} from './text-vectorization.js';
export {
  encode as encodeText,
  fitSequence,
  knownTokens,
  modelInput,
  ngramBag,
  tokenIds,
  type NgramBagInput,
  type SequenceInput,
  type TextInput,
  type Vocabulary,
} from '../tokenizer/tokenizer.js';
export { TOKENIZER_MODULE, tokenizerModulePath } from './tokenizer-module.js';
export {
  acquireFileLock,
  describeHolder,
  isLockFile,
  tryAcquireFileLock,
  withFileLock,
  type HeldLock,
  type LockHolder,
  type LockOptions,
} from './file-lock.js';
