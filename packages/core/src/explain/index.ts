/**
 * Attributions: which parts of an input a model's output depends on. Plain arrays in and out, as `predict` takes them;
 * the gradients run as TensorFlow graph functions once their shapes repeat.
 */
export { integratedGradients, type IntegratedGradientsOptions, type IntegratedGradientsResult } from './integrated-gradients.js';
export { smoothGrad, type SmoothGradOptions } from './smooth-grad.js';
export { gradientTimesInput, type GradientTimesInputOptions } from './gradient-times-input.js';
export { gradCam, type GradCamOptions, type GradCamResult } from './grad-cam.js';
export type { Attributions, ExplainOptions } from './explain-options.js';
export type { IntegrationMethod } from './quadrature.js';
