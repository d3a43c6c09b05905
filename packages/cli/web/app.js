// Loads TensorFlow.js (the bundle copied beside this page), the exported model and its description (dl-model.json),
// then mounts the part of the page for the model's kind from the module of the same name (image-classifier.js,
// text-classifier.js or gan-generator.js). What the page computes is also callable from scripts as `window.dl`
// (the tests feed it exact inputs): see each kind's module for its functions.
import * as tf from './tf.fesm.min.js';

const status = document.getElementById('status');

async function main() {
  const manifest = await fetchJson('dl-model.json');
  if (manifest.format !== 'dl-export') throw new Error('dl-model.json is not a dl export (format is not "dl-export")');
  // ?backend=cpu or ?backend=webgl overrides the choice: WebGL on a GPU, else TensorFlow.js's CPU backend.
  const backend = new URLSearchParams(location.search).get('backend') ?? (softwareWebGL() ? 'cpu' : undefined);
  if (backend !== undefined) await tf.setBackend(backend);
  await tf.ready();
  const [kind, model] = await Promise.all([import(`./${manifest.kind}.js`), tf.loadLayersModel('model.json')]);
  document.title = `${manifest.preset} · dl`;
  document.getElementById('title').textContent = kind.title(manifest);
  document.getElementById('subtitle').textContent =
    `${manifest.preset} model exported by dl${manifest.quantization === 'float32' ? '' : `, weights quantized to ${manifest.quantization}`} · running on TensorFlow.js (${tf.getBackend()})`;
  const section = document.getElementById(manifest.kind);
  section.hidden = false;
  const api = await kind.mount({ tf, model, manifest, section });
  window.dl = { manifest, backend: tf.getBackend(), ...api };
  status.hidden = true;
  document.body.dataset.ready = 'true';
}

/**
 * Whether WebGL is emulated on the CPU (SwiftShader, llvmpipe: headless browsers, machines without a GPU driver). The
 * emulation runs these models several times slower than TensorFlow.js's CPU backend (measured in headless Chromium:
 * 64 GAN digits in 25 s against 5 s), so the page uses the CPU backend there.
 */
function softwareWebGL() {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (gl === null) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL));
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

async function fetchJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${response.statusText}`);
  return response.json();
}

main().catch((error) => {
  status.textContent = `Could not start: ${error.message}`;
  status.classList.add('error');
  document.body.dataset.ready = 'error';
  throw error;
});
