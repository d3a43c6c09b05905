/**
 * TensorFlow's native kernels for dl at run time: the tfjs-node build the setup made (`loadTfjsNode`), the
 * capabilities dl checks it for, and the command that rebuilds it. The install-time setup itself is
 * `@dl/native/setup`, kept apart so that nothing here loads its dependencies.
 */
export { checkCapabilities, TF_ATTR_FUNC, type Capabilities, type Capability, type TfjsNode } from './capabilities.js';
export { loadTfjsNode, setupCommand, tfjsNodeDir } from './tfjs-node-dir.js';
export { TENSORFLOW_WHEEL, TFJS_NODE } from './pins.js';
