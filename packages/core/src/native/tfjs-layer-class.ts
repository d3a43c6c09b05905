import { tf } from '../backend.js';

/**
 * A tfjs-layers class by its registered name ('LSTM', 'Conv2D', …), to subclass: the package exports only the factory
 * functions of its layers.
 */
export function tfjsLayerClass<Args, Layer>(className: string): new (args: Args) => Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) throw new Error(`tfjs-layers' ${className} class is not registered`);
  return entry[0] as unknown as new (
    args: Args,
  ) => Layer;
}
