// GAN page: a button draws a fresh grid of digits from the exported generator, each from a new random latent vector
// (standard normal, as the GAN trains with).

// 36 digits: a grid that fits a phone, and a second or two on a CPU.
const COLUMNS = 6;
const ROWS = 6;

export function title() {
  return 'Digits from a GAN';
}

export async function mount({ tf, model, manifest, section }) {
  const latentDim = manifest.latentDim ?? model.inputs[0].shape[1];
  const [lo, hi] = manifest.output?.range ?? [-1, 1];
  const [height, width] = model.outputs[0].shape.slice(1, 3);
  const grid = section.querySelector('#grid');
  grid.width = COLUMNS * width;
  grid.height = ROWS * height;
  const context = grid.getContext('2d', { willReadFrequently: true });
  const info = section.querySelector('#gan-info');

  /**
   * The generator's images for the given latent vectors (arrays of `latentDim` numbers), as arrays of
   * height × width pixel values 0–255 (the generator's output range mapped back onto 0–255, rounded).
   */
  function generateFrom(latents) {
    const output = tf.tidy(() => model.predict(tf.tensor2d(latents.flat(), [latents.length, latentDim])).dataSync());
    const size = height * width;
    return latents.map((_, n) =>
      Array.from(output.subarray(n * size, (n + 1) * size), (v) => Math.min(255, Math.max(0, Math.round(((v - lo) * 255) / (hi - lo))))),
    );
  }

  let shown = [];
  /** Draws a fresh grid of COLUMNS × ROWS digits; returns their pixels (as generateFrom) in reading order. */
  function generate() {
    const latents = tf.tidy(() => tf.randomNormal([COLUMNS * ROWS, latentDim]).arraySync());
    const started = performance.now();
    const images = generateFrom(latents);
    images.forEach((pixels, n) => {
      const image = context.createImageData(width, height);
      pixels.forEach((v, i) => image.data.set([v, v, v, 255], i * 4));
      context.putImageData(image, (n % COLUMNS) * width, Math.floor(n / COLUMNS) * height);
    });
    info.textContent = `${images.length} digits in ${Math.round(performance.now() - started)} ms`;
    shown = images;
    return images;
  }

  const button = section.querySelector('#generate');
  button.addEventListener('click', async () => {
    button.disabled = true;
    info.textContent = 'Generating…';
    await tf.nextFrame(); // let the page show it before the generator occupies the main thread
    generate();
    button.disabled = false;
  });
  generate();
  /** The pixels of the digits on the grid now, as generate returned them. */
  const images = () => shown;
  return { generate, generateFrom, images, columns: COLUMNS, rows: ROWS };
}
