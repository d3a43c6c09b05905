/**
 * Where tokenizer.js, dl's dependency-free text encoding module, is on disk: `dl export` copies this file verbatim
 * beside an exported text model, so a page or server encodes text with the very code TextVectorization runs.
 */
import { fileURLToPath } from 'node:url';

/** The file name of the module, in the package and in an export. */
export const TOKENIZER_MODULE = 'tokenizer.js';

/** Absolute path of @dl/data's tokenizer.js (the same from src/ and dist/, both one level below the package). */
export function tokenizerModulePath(): string {
  return fileURLToPath(new URL(`../tokenizer/${TOKENIZER_MODULE}`, import.meta.url));
}
