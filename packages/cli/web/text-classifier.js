// Text classifier page: type a review, see the probability that it is positive while typing. The review is encoded
// by tokenizer.js, the same module dl trains and predicts with in Node (exported beside the model), with the
// model's vocabulary (vocabulary.json) and input layout (dl-model.json's textInput).
import { encode, knownTokens } from './tokenizer.js';

export function title() {
  return 'How positive is this review?';
}

export async function mount({ tf, model, manifest, section }) {
  const response = await fetch(manifest.vocabulary);
  if (!response.ok) throw new Error(`${manifest.vocabulary}: HTTP ${response.status} ${response.statusText}`);
  const vocabulary = await response.json();
  const [negative, positive] = manifest.labels ?? ['negative', 'positive'];

  /** The model's probability that `text` is positive (label 1). */
  function predict(text) {
    const ids = encode(text, vocabulary, manifest.textInput);
    return tf.tidy(() => model.predict(tf.tensor2d(ids, [1, ids.length], 'int32')).dataSync()[0]);
  }

  const review = section.querySelector('#review');
  const fill = section.querySelector('#meter-fill');
  const sentiment = section.querySelector('#sentiment');
  const probabilityText = section.querySelector('#probability');
  const known = section.querySelector('#known');

  function update() {
    const text = review.value;
    const count = knownTokens(text, vocabulary);
    if (count === 0) {
      // The model would only show its bias: say what it needs instead.
      fill.style.width = '50%';
      fill.className = '';
      sentiment.textContent = '–';
      sentiment.className = 'big';
      probabilityText.textContent = '';
      known.textContent = text.trim() === '' ? 'Type a review in English.' : 'None of these words are in the vocabulary yet.';
      return undefined;
    }
    const probability = predict(text);
    fill.style.width = `${(probability * 100).toFixed(1)}%`;
    sentiment.textContent = probability > 0.5 ? positive : negative;
    sentiment.className = `big ${probability > 0.5 ? 'positive' : 'negative'}`;
    fill.className = probability > 0.5 ? 'positive' : 'negative';
    probabilityText.textContent = `probability of ${positive}: ${probability.toFixed(3)}`;
    known.textContent = `${count} known word${count === 1 ? '' : 's'}`;
    return probability;
  }

  let timer;
  review.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(update, 80);
  });
  for (const button of section.querySelectorAll('[data-example]')) {
    button.addEventListener('click', () => {
      review.value = button.dataset.example;
      update();
    });
  }
  update();
  return { predict, update };
}
