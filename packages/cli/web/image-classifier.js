// Image classifier page: draw a digit, see the model's ten probabilities while drawing.
//
// The drawing is turned into what the model was trained on — MNIST: a white digit on black, 28×28, its bounding box
// scaled to fit 20×20 and placed so that its centre of mass is the image's centre — then pixel values 0–255 are mapped
// onto the range the preset trains with (dl-model.json's pixelRange).

/** Side of the digit's box inside the 28×28 image, as MNIST's digits were normalised. */
const DIGIT_BOX = 20;
const SIZE = 28;

export function title() {
  return 'Draw a digit';
}

export async function mount({ tf, model, manifest, section }) {
  const [lo, hi] = manifest.pixelRange ?? [0, 1];
  const [height, width, channels] = manifest.inputShape.slice(-3);
  if (height !== SIZE || width !== SIZE || channels !== 1) {
    throw new Error(`this page draws 28×28 grayscale digits, but the model takes ${manifest.inputShape.join('×')}`);
  }
  const labels = manifest.labels ?? Array.from({ length: 10 }, (_, i) => String(i));

  /** Probabilities for one image: `pixels`, 784 values 0–255 row by row (white digit on black). */
  function predict(pixels) {
    if (pixels.length !== SIZE * SIZE) throw new Error(`predict takes ${SIZE * SIZE} pixel values, got ${pixels.length}`);
    const scaled = Float32Array.from(pixels, (p) => lo + (p * (hi - lo)) / 255);
    return tf.tidy(() => Array.from(model.predict(tf.tensor4d(scaled, [1, SIZE, SIZE, 1])).dataSync()));
  }

  const draw = section.querySelector('#draw');
  const seen = section.querySelector('#seen');
  const bars = section.querySelector('#bars');
  const prediction = section.querySelector('#prediction');
  const confidence = section.querySelector('#confidence');
  const rows = labels.map((label) => {
    const li = document.createElement('li');
    li.innerHTML = '<span class="label"></span><div class="bar"><div></div></div><span class="value"></span>';
    li.querySelector('.label').textContent = label;
    bars.append(li);
    return { li, fill: li.querySelector('.bar > div'), value: li.querySelector('.value') };
  });

  const pad = setUpPad(draw, () => schedule());
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      classifyDrawing();
    });
  }

  /** Classifies what is drawn and shows it; returns the probabilities (undefined when the pad is empty). */
  function classifyDrawing() {
    const pixels = mnistPixels(pad.canvas);
    showSeen(seen, pixels);
    if (pixels === undefined) {
      prediction.textContent = '–';
      confidence.textContent = '';
      for (const row of rows) show(row, 0, false);
      return undefined;
    }
    const probabilities = predict(pixels);
    const best = probabilities.indexOf(Math.max(...probabilities));
    prediction.textContent = labels[best];
    confidence.textContent = `${(probabilities[best] * 100).toFixed(1)}% sure`;
    rows.forEach((row, i) => show(row, probabilities[i], i === best));
    return probabilities;
  }

  section.querySelector('#clear').addEventListener('click', () => {
    pad.clear();
    classifyDrawing();
  });
  classifyDrawing();

  return {
    predict,
    /** The 784 pixel values (0–255) the drawing becomes, as the model is fed them; undefined when nothing is drawn. */
    drawingPixels: () => mnistPixels(pad.canvas),
    classifyDrawing,
    clear: () => {
      pad.clear();
      classifyDrawing();
    },
  };
}

function show(row, probability, top) {
  row.fill.style.width = `${(probability * 100).toFixed(1)}%`;
  row.value.textContent = `${(probability * 100).toFixed(1)}%`;
  row.li.classList.toggle('top', top);
}

/** Pointer drawing (mouse, pen and touch) on a black canvas sized to its box in device pixels. */
function setUpPad(canvas, changed) {
  const context = canvas.getContext('2d', { willReadFrequently: true });
  function resize() {
    const side = Math.round(canvas.getBoundingClientRect().width * devicePixelRatio);
    if (side > 0 && side !== canvas.width) {
      canvas.width = side;
      canvas.height = side;
      clear();
    }
  }
  function clear() {
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
  }
  let last;
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
  }
  function stroke(to) {
    // A stroke about as thick, relative to the digit, as MNIST's pen.
    context.lineWidth = canvas.width / 14;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.strokeStyle = '#fff';
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...to);
    context.stroke();
    last = to;
    changed();
  }
  canvas.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    stroke(last);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (last === undefined) return;
    for (const e of event.getCoalescedEvents?.() ?? [event]) stroke(point(e));
  });
  for (const type of ['pointerup', 'pointercancel']) {
    canvas.addEventListener(type, () => {
      last = undefined;
    });
  }
  new ResizeObserver(resize).observe(canvas);
  resize();
  return { canvas, clear };
}

/**
 * The drawing as MNIST's 784 pixel values (0–255, row by row): the bounding box of the ink scaled (area-averaged) so
 * that its longer side is 20 pixels, then shifted so that its centre of mass lies at the centre of the 28×28 image.
 * Undefined when nothing is drawn.
 */
export function mnistPixels(canvas) {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, width, height).data;
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[(y * width + x) * 4] > 0) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return undefined;
  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const scale = DIGIT_BOX / Math.max(boxWidth, boxHeight);
  const outWidth = Math.max(1, Math.round(boxWidth * scale));
  const outHeight = Math.max(1, Math.round(boxHeight * scale));
  // Area averaging: each small pixel is the mean of the source pixels it covers (weighted by the covered fraction).
  const small = new Float32Array(outWidth * outHeight);
  const weight = new Float32Array(outWidth * outHeight);
  for (let y = top; y <= bottom; y++) {
    const sy = Math.min(outHeight - 1, Math.floor(((y - top) * outHeight) / boxHeight));
    for (let x = left; x <= right; x++) {
      const sx = Math.min(outWidth - 1, Math.floor(((x - left) * outWidth) / boxWidth));
      small[sy * outWidth + sx] += rgba[(y * width + x) * 4];
      weight[sy * outWidth + sx] += 1;
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const v = small[y * outWidth + x] / weight[y * outWidth + x];
      small[y * outWidth + x] = v;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const dx = Math.round((SIZE - 1) / 2 - mx / mass);
  const dy = Math.round((SIZE - 1) / 2 - my / mass);
  const pixels = new Array(SIZE * SIZE).fill(0);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const tx = x + dx;
      const ty = y + dy;
      if (tx >= 0 && tx < SIZE && ty >= 0 && ty < SIZE) pixels[ty * SIZE + tx] = Math.round(small[y * outWidth + x]);
    }
  }
  return pixels;
}

function showSeen(canvas, pixels) {
  const context = canvas.getContext('2d');
  const image = context.createImageData(SIZE, SIZE);
  for (let i = 0; i < SIZE * SIZE; i++) {
    const v = pixels?.[i] ?? 0;
    image.data.set([v, v, v, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}
