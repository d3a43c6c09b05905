/**
 * The picture `dl explain` writes for an image model: the input, the attribution heatmap and the heatmap over the
 * input, side by side, each pixel scaled up so a 28×28 digit is readable. Positive scores (evidence for the class) are
 * red, negative ones blue, each scaled by the largest magnitude of the image.
 */

/** RGB pixels `[height, width, 3]`, row-major. */
export interface Rgb {
  data: Uint8Array;
  height: number;
  width: number;
}

export interface HeatmapPanelsOptions {
  /** Screen pixels per input pixel. Default 8. */
  scale?: number;
  /** Gap between the panels, in screen pixels. Default 8. */
  gap?: number;
}

/**
 * `image` (grayscale in [0, 1], `height × width`) and `scores` (same size) → the three panels. A pixel of the heatmap
 * is white at 0 and full red (blue) at the largest positive (negative) magnitude; the overlay blends that colour over
 * the input with the score's magnitude as opacity.
 */
export function heatmapPanels(
  image: Float32Array,
  scores: Float32Array,
  height: number,
  width: number,
  options: HeatmapPanelsOptions = {},
): Rgb {
  const scale = options.scale ?? 8;
  const gap = options.gap ?? 8;
  const peak = scores.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  const panelWidth = width * scale;
  const out: Rgb = {
    data: new Uint8Array(height * scale * (3 * panelWidth + 2 * gap) * 3).fill(255),
    height: height * scale,
    width: 3 * panelWidth + 2 * gap,
  };
  const put = (panel: number, r: number, c: number, rgb: readonly [number, number, number]) => {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const offset = ((r * scale + dy) * out.width + panel * (panelWidth + gap) + c * scale + dx) * 3;
        out.data[offset] = rgb[0];
        out.data[offset + 1] = rgb[1];
        out.data[offset + 2] = rgb[2];
      }
    }
  };
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const gray = Math.round(255 * Math.min(1, Math.max(0, image[r * width + c]!)));
      const s = scores[r * width + c]! / peak;
      const colour = scoreColour(s);
      put(0, r, c, [gray, gray, gray]);
      put(1, r, c, colour);
      const a = Math.min(0.75, Math.abs(s) * 1.2);
      const full = s >= 0 ? [230, 30, 30] : [30, 80, 230];
      put(2, r, c, [0, 1, 2].map((k) => Math.round((1 - a) * gray + a * full[k]!)) as unknown as [number, number, number]);
    }
  }
  return out;
}

/** White at 0, red towards +1, blue towards −1. */
export function scoreColour(s: number): [number, number, number] {
  const a = Math.min(1, Math.abs(s));
  return s >= 0
    ? [255, Math.round(255 * (1 - a)), Math.round(255 * (1 - a))]
    : [Math.round(255 * (1 - a)), Math.round(255 * (1 - 0.6 * a)), 255];
}
