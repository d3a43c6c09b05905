/**
 * Keras 3's `model.summary()` table, as plain text lines:
 *
 *     Model: "cnn"
 *     ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
 *     ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
 *     ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
 *     │ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
 *     ├─────────────────────────────────┼────────────────────────┼───────────────┤
 *     …
 *     └─────────────────────────────────┴────────────────────────┴───────────────┘
 *      Total params: 93,322 (364.54 KB)
 *      Trainable params: 93,322 (364.54 KB)
 *      Non-trainable params: 0 (0.00 B)
 *
 * Models that are not a simple chain (several inputs or outputs, branches, shared layers) get Keras's
 * `Connected to` column. Column widths follow Keras (which renders with `rich`): the same line length and column
 * positions, the same squeezing of cells, the same word wrapping within cells.
 */
import type { Network } from './layer-types.js';
import type { LayersModel } from '@tensorflow/tfjs';
import { tfl } from './tfjs-layers-api.js';
import { OptionError } from './errors/option-error.js';

type Layer = LayersModel['layers'][number];
type LayerNode = Layer['inboundNodes'][number];
type Weight = LayersModel['weights'][number];

interface Column {
  header: string;
  align: 'left' | 'right';
}

const CHAIN_COLUMNS: Column[] = [
  { header: 'Layer (type)', align: 'left' },
  { header: 'Output Shape', align: 'left' },
  { header: 'Param #', align: 'right' },
];
const GRAPH_COLUMNS: Column[] = [...CHAIN_COLUMNS, { header: 'Connected to', align: 'left' }];

/**
 * The lines of Keras 3's summary of `net`. `lineLength` is the table's width; by default, as Keras, 88 characters
 * (108 with `Connected to`) but at most the terminal's width − 4 (`COLUMNS`, else stdout's width, else 80: so 76 when
 * not on a terminal).
 */
export function summaryLines(network: Network, lineLength?: number): string[] {
  const net = network as unknown as LayersModel;
  const chain = isChainLike(net);
  const columns = chain ? CHAIN_COLUMNS : GRAPH_COLUMNS;
  const width = lineLength ?? Math.min(chain ? 88 : 108, terminalColumns() - 4);
  const positions = chain ? [0.45, 0.8, 1] : [0.3, 0.56, 0.74, 1];
  const relevantNodes = new Set(Object.values(net.nodesByDepth).flat());
  // A Sequential model lists its layers without the input layer, as Keras's Sequential; a functional one lists all.
  const shown = net instanceof tfl.Sequential ? net.layers.filter((layer) => layer.getClassName() !== 'InputLayer') : net.layers;
  const rows = shown.map((layer) => {
    const fields = [`${layer.name} (${layer.getClassName()})`, formatOutputShape(layer), formatParams(layer)];
    if (!chain) fields.push(connections(layer, relevantNodes));
    return fields;
  });

  const trainable = net.trainableWeights;
  const nonTrainable = net.nonTrainableWeights;
  const trainableCount = countParams(trainable);
  const nonTrainableCount = countParams(nonTrainable);
  const trainableBytes = memorySize(trainable);
  const nonTrainableBytes = memorySize(nonTrainable);
  return [
    `Model: "${net.name}"`,
    ...renderTable(columns, rows, columnWidths(positions, width, columns.length)),
    ` Total params: ${formatCount(trainableCount + nonTrainableCount)} (${readableSize(trainableBytes + nonTrainableBytes)})`,
    ` Trainable params: ${formatCount(trainableCount)} (${readableSize(trainableBytes)})`,
    ` Non-trainable params: ${formatCount(nonTrainableCount)} (${readableSize(nonTrainableBytes)})`,
  ];
}

/**
 * Keras's test for a model summarized without `Connected to`: every depth of the graph has one node with one
 * input tensor, and no layer is called twice within the model.
 */
function isChainLike(net: LayersModel): boolean {
  if (net instanceof tfl.Sequential) return true;
  const nodes = new Set<LayerNode>();
  for (const depthNodes of Object.values(net.nodesByDepth)) {
    if (depthNodes.length > 1 || (depthNodes.length === 1 && depthNodes[0]!.inputTensors.length > 1)) return false;
    for (const node of depthNodes) nodes.add(node);
  }
  return net.layers.every((layer) => layer.inboundNodes.filter((node) => nodes.has(node)).length <= 1);
}

function terminalColumns(): number {
  const fromEnv = Number.parseInt(process.env.COLUMNS ?? '', 10);
  if (fromEnv > 0) return fromEnv;
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : 80;
}

/** `(None, 26, 26, 32)`; a layer with several outputs shows a list, `[(None, 4), (None, 4)]`; never called, `?`. */
function formatOutputShape(layer: Layer): string {
  const node = layer.inboundNodes[layer.inboundNodes.length - 1];
  if (!node) return '?';
  const shapes = node.outputTensors.map((t) => `(${t.shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})`);
  return shapes.length === 1 ? shapes[0]! : `[${shapes.join(', ')}]`;
}

function formatParams(layer: Layer): string {
  return layer.built ? formatCount(layer.countParams()) : '0 (unbuilt)';
}

/** The layers feeding `layer` within the model, as Keras's `name[node][tensor]` list; `-` for an input layer. */
function connections(layer: Layer, relevantNodes: Set<LayerNode>): string {
  const sources: string[] = [];
  for (const node of layer.inboundNodes) {
    if (relevantNodes.size > 0 && !relevantNodes.has(node)) continue;
    node.inboundLayers.forEach((source, i) => sources.push(`${source.name}[${node.nodeIndices[i]}][${node.tensorIndices[i]}]`));
  }
  return sources.length ? sources.join(', ') : '-';
}

function countParams(weights: Weight[]): number {
  return weights.reduce((sum, w) => sum + w.shape.reduce<number>((n, d) => n * (d ?? 0), 1), 0);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: 8 };

/** Bytes of the distinct weights, by dtype. */
function memorySize(weights: Weight[]): number {
  const unique = new Map(weights.map((w) => [w.id, w]));
  let bytes = 0;
  for (const w of unique.values()) bytes += w.shape.reduce<number>((n, d) => n * (d ?? 0), 1) * (DTYPE_BYTES[w.dtype] ?? 4);
  return bytes;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Keras's `readable_memory_size`: `364.54 KB`, `0.00 B`. */
function readableSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  for (const unit of units) {
    if (size / 1024 < 1) return `${size.toFixed(2)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(2)} PB`;
}

/**
 * Cell widths (padding included) as Keras asks `rich` for them: `positions` of `lineLength` per column, then
 * squeezed evenly until cells plus borders fit in `lineLength`.
 */
function columnWidths(positions: number[], lineLength: number, count: number): number[] {
  const widths: number[] = [];
  let current = 0;
  for (const pos of positions.slice(0, count)) {
    const width = Math.floor(pos * lineLength) - current;
    if (width < 4) throw new OptionError(`summary: line length ${lineLength} is too narrow for the summary table`);
    widths.push(width + 2); // rich adds one space of padding on each side of a cell
    current += width;
  }
  const available = lineLength - (count + 1); // the vertical borders
  const excess = widths.reduce((a, b) => a + b, 0) - available;
  return excess > 0 ? ratioReduce(excess, widths) : widths;
}

/**
 * rich's `ratio_reduce` with equal ratios: takes `total` off `values`, spread evenly. (Python rounds halves to even;
 * the only half that arises here, 3.5, rounds up either way.)
 */
function ratioReduce(total: number, values: number[]): number[] {
  let remaining = total;
  let ratio = values.length;
  return values.map((value) => {
    const taken = Math.min(value, Math.round(remaining / ratio));
    remaining -= taken;
    ratio -= 1;
    return value - taken;
  });
}

/** rich's HEAVY_HEAD box with a line between rows, each cell padded by one space and word-wrapped to its width. */
function renderTable(columns: Column[], rows: string[][], widths: number[]): string[] {
  const rule = (left: string, fill: string, cross: string, right: string) => left + widths.map((w) => fill.repeat(w)).join(cross) + right;
  const row = (cells: string[], bar: string): string[] => {
    const wrapped = cells.map((cell, i) => wrapCell(cell, widths[i]! - 2, columns[i]!.align));
    const height = Math.max(...wrapped.map((lines) => lines.length));
    const lines: string[] = [];
    for (let l = 0; l < height; l++) {
      lines.push(bar + wrapped.map((cellLines, i) => ` ${cellLines[l] ?? ' '.repeat(widths[i]! - 2)} `).join(bar) + bar);
    }
    return lines;
  };
  const lines = [
    rule('┏', '━', '┳', '┓'),
    ...row(
      columns.map((c) => c.header),
      '┃',
    ),
    rule('┡', '━', '╇', '┩'),
  ];
  rows.forEach((cells, i) => {
    if (i > 0) lines.push(rule('├', '─', '┼', '┤'));
    lines.push(...row(cells, '│'));
  });
  lines.push(rule('└', '─', '┴', '┘'));
  return lines;
}

/**
 * `text` broken into lines of at most `width` at spaces (rich's `divide_line` without folding), each aligned
 * and padded to `width`; a word longer than a line is cut with `…`.
 */
function wrapCell(text: string, width: number, align: Column['align']): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.match(/\s*\S+\s*/g) ?? ['']) {
    if (line && line.length + word.trimEnd().length > width) {
      lines.push(line);
      line = word;
    } else {
      line += word;
    }
  }
  lines.push(line);
  return lines.map((l) => {
    let s = l.trimEnd();
    if (s.length > width) s = `${s.slice(0, Math.max(width - 1, 0))}…`;
    return align === 'right' ? s.padStart(width) : s.padEnd(width);
  });
}
