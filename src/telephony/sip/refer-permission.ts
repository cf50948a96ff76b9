/**
 * `sip.trunks[].allow_refer`, enforced by each backend's `CallLeg.refer()` itself: on a leg whose
 * trunk forbids REFER no REFER is sent and the outcome says why. Legs with no trunk (a SIP URI dialled
 * directly, a caller admitted by `sip.allow`) may transfer.
 */
import type { ReferOutcome } from '../port.js';

export interface TrunkReferSetting {
  name: string;
  allow_refer: boolean;
}

export type ReferRefusal = Extract<ReferOutcome, { outcome: 'refused' }>;

/** The refusal to return instead of sending a REFER, or undefined when the REFER may go out. */
export function referRefusal(trunk: TrunkReferSetting | undefined): ReferRefusal | undefined {
  if (!trunk || trunk.allow_refer) return undefined;
  return { outcome: 'refused', reason: 'trunk-disallows-refer', trunk: trunk.name };
}
