// dl's error classes, importable as `@dl/core/errors` without loading TensorFlow (the CLI checks them on every exit).
export { DlError } from './dl-error.js';
export { DpLayerError } from './dp-layer-error.js';
export { ModelFileError } from './model-file-error.js';
export { NativeError } from './native-error.js';
export { OptionError } from './option-error.js';
export { ShapeError } from './shape-error.js';
