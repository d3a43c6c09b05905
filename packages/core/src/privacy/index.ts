// The privacy accountant, importable as `@dl/core/privacy` without loading TensorFlow: it is pure arithmetic.
export { DEFAULT_RDP_ORDERS, rdpOfSteps, sampledGaussianRdp } from './sampled-gaussian-rdp.js';
export {
  calibrateNoiseMultiplier,
  computeDpSgdEpsilon,
  dpSgdSchedule,
  epsilonFromRdp,
  type CalibrationOptions,
  type DpSgdEpochs,
  type DpSgdSettings,
  type PrivacySpent,
  type RdpConversion,
} from './privacy-accountant.js';
export { lossThresholdAttack, type MembershipAttackResult } from './membership-inference.js';
