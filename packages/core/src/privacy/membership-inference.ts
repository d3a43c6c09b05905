import { OptionError } from '../errors/option-error.js';

/** How well a loss-threshold attack tells training members from non-members. */
export interface MembershipAttackResult {
  /** Area under the ROC curve of "member if loss < t" over all t: 0.5 is guessing, 1 a perfect attack. */
  auc: number;
  /** max over t of TPR − FPR: the attack's best advantage over guessing (Yeom et al. 2018). */
  advantage: number;
  members: number;
  nonMembers: number;
}

/**
 * The loss-threshold membership-inference attack (Yeom et al. 2018), as TensorFlow Privacy's
 * `membership_inference_attack` runs it with the LOSS threshold: an example is guessed a member when the model's loss
 * on it is low. Its ROC over all thresholds, by sorting: AUC is the Mann–Whitney statistic (ties count one half).
 */
export function lossThresholdAttack(memberLosses: ArrayLike<number>, nonMemberLosses: ArrayLike<number>): MembershipAttackResult {
  const m = memberLosses.length;
  const n = nonMemberLosses.length;
  if (m === 0 || n === 0) throw new OptionError('the membership attack needs at least one member and one non-member loss');
  const all = [
    ...Array.from(memberLosses, (loss) => ({ loss, member: true })),
    ...Array.from(nonMemberLosses, (loss) => ({ loss, member: false })),
  ];
  if (all.some((e) => Number.isNaN(e.loss))) throw new OptionError('the membership attack got a NaN loss');
  all.sort((a, b) => a.loss - b.loss);
  let pairs = 0; // member-below-non-member pairs, ties counted one half
  let tp = 0;
  let fp = 0;
  let advantage = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    let groupMembers = 0;
    while (j < all.length && all[j]!.loss === all[i]!.loss) groupMembers += all[j++]!.member ? 1 : 0;
    const groupOthers = j - i - groupMembers;
    // Members in this group beat every non-member above it, and tie with the group's own non-members.
    pairs += groupMembers * (n - fp - groupOthers) + 0.5 * groupMembers * groupOthers;
    tp += groupMembers;
    fp += groupOthers;
    advantage = Math.max(advantage, tp / m - fp / n);
    i = j;
  }
  return { auc: pairs / (m * n), advantage, members: m, nonMembers: n };
}
