/**
 * A recorded op sequence as a serialized `tensorflow.GraphDef`, the format TensorFlow's `TF_GraphImportGraphDef`
 * reads. Only the fields a traced step needs are declared (field numbers from tensorflow/core/framework/*.proto);
 * protobufjs does the encoding.
 */
import protobuf from 'protobufjs';
import type { OpAttr } from '../native/native-ops.js';

const SCHEMA = `
syntax = "proto3";
package tensorflow;
message GraphDef { repeated NodeDef node = 1; VersionDef versions = 4; }
message VersionDef { int32 producer = 1; int32 min_consumer = 2; }
message NodeDef { string name = 1; string op = 2; repeated string input = 3; map<string, AttrValue> attr = 5; }
message AttrValue {
  message ListValue {
    repeated bytes s = 2; repeated int64 i = 3; repeated float f = 4; repeated bool b = 5; repeated int32 type = 6;
  }
  oneof value { ListValue list = 1; bytes s = 2; int64 i = 3; float f = 4; bool b = 5; int32 type = 6;
    TensorShapeProto shape = 7; TensorProto tensor = 8; }
}
message TensorShapeProto { message Dim { int64 size = 1; } repeated Dim dim = 2; bool unknown_rank = 3; }
message TensorProto { int32 dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4; }
`;

const GraphDef = protobuf.parse(SCHEMA).root.lookupType('tensorflow.GraphDef');

/** TensorFlow's attribute kinds, as tfjs-node numbers them (TF_AttrType). */
enum AttrKind {
  String = 0,
  Int = 1,
  Float = 2,
  Bool = 3,
  Type = 4,
  Shape = 5,
}

/** A node of the graph: `inputs` are `"node:index"` endpoints, or `"^node"` for control dependencies. */
export interface GraphNode {
  name: string;
  op: string;
  inputs: string[];
  attrs: Array<OpAttr | TensorAttr>;
}

/** A tensor-valued attribute (a `Const` node's `value`). */
export interface TensorAttr {
  name: string;
  tensor: ConstValue;
}

/** A constant's value, as tfjs-node created it from JavaScript data. */
export interface ConstValue {
  dtype: number;
  shape: number[];
  values: ArrayBufferView;
}

/**
 * The graph's GraphDef bytes. `producer` is a GraphDef version this TensorFlow reads without upgrading old ops
 * (TensorFlow 2.x is past 1,000).
 */
export function encodeGraphDef(nodes: GraphNode[]): Uint8Array {
  const node = nodes.map((n) => ({
    name: n.name,
    op: n.op,
    input: n.inputs,
    attr: Object.fromEntries(n.attrs.map((a) => [a.name, attrValue(a)])),
  }));
  return GraphDef.encode(GraphDef.fromObject({ node, versions: { producer: 1000 } })).finish();
}

/** A GraphDef shape: `-1` is an unknown dimension. */
export function shapeProto(shape: number[]): object {
  return { dim: shape.map((size) => ({ size })) };
}

function attrValue(attr: OpAttr | TensorAttr): object {
  if ('tensor' in attr) {
    const t = attr.tensor;
    const bytes = new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);
    return { tensor: { dtype: t.dtype, tensorShape: shapeProto(t.shape), tensorContent: bytes } };
  }
  const { type, value } = attr;
  const list = Array.isArray(value);
  switch (type as AttrKind) {
    case AttrKind.String:
      return list ? { list: { s: (value as string[]).map(utf8) } } : { s: utf8(value as string) };
    case AttrKind.Int:
      return list ? { list: { i: value } } : { i: value };
    case AttrKind.Float:
      return list ? { list: { f: value } } : { f: value };
    case AttrKind.Bool:
      return list ? { list: { b: value } } : { b: value };
    case AttrKind.Type:
      return list ? { list: { type: value } } : { type: value };
    case AttrKind.Shape:
      return { shape: shapeProto(value as number[]) };
    default:
      throw new Error(`graph: attribute '${attr.name}' has a kind (${type}) a traced step cannot hold`);
  }
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
