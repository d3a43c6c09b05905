/**
 * dl's layer subclasses carry tfjs's class names ('Conv2D', 'Conv2DTranspose', 'LSTM', 'BatchNormalization', 'Dense', 'Dropout', 'GRU'), so a saved
 * model stays plain TF.js that loads anywhere (but for a GRU with Keras's `reset_after: true`, which tfjs cannot compute
 * and refuses). For a model dl loads or clones to get them back, deserialization must find
 * them under those names; registering them in tfjs's class registry would hand them to every other tfjs user in the
 * process. So they stand in for tfjs's classes only while dl deserializes, which TF.js does synchronously: no other
 * code can run in between.
 */
import { tf } from '../backend.js';
import { NativeConv2DTranspose } from './conv2d-transpose-layer.js';
import { FusedBatchNormalization } from './fused-batch-norm-layer.js';
import { FusedConv2D } from './fused-conv2d-layer.js';
import { FusedLSTM } from './fused-lstm-layer.js';
import { NativeDense } from './native-dense-layer.js';
import { NativeDropout } from './native-dropout-layer.js';
import { ResetAfterGRU } from './reset-after-gru-layer.js';
import { Scattering2D } from '../scattering/scattering-2d-layer.js';

type Serializable = Parameters<typeof tf.serialization.registerClass>[0];

const DL_CLASSES = [
  FusedConv2D,
  NativeConv2DTranspose,
  FusedLSTM,
  FusedBatchNormalization,
  NativeDense,
  NativeDropout,
  ResetAfterGRU,
  Scattering2D,
] as unknown as Serializable[];

/** dl's layer classes that tfjs does not have at all (not stand-ins for its own): known to dl's loaders only. */
export function dlOwnLayerClasses(): Record<string, unknown[]> {
  return { [Scattering2D.className]: [Scattering2D, Scattering2D.fromConfig] };
}

/**
 * Runs `build` with dl's layer classes in tfjs's registry, then puts tfjs's own back. Only what `build` does before it
 * first awaits sees them: pass the call that deserializes (e.g. `tfl.models.modelFromJSON` without weights).
 */
export function withDlLayerClasses<T>(build: () => T): T {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  const saved = DL_CLASSES.map((cls) => [cls.className, map[cls.className]] as const);
  for (const cls of DL_CLASSES) map[cls.className] = [cls, cls.fromConfig];
  try {
    return build();
  } finally {
    for (const [name, entry] of saved) {
      if (entry === undefined) delete map[name];
      else map[name] = entry;
    }
  }
}
