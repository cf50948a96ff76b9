/**
 * The inbound handler a server runs before the call layer installs its own: answer, say a short
 * greeting, hang up. Proves a deployment end to end (SIP, RTP, speech) with nothing else configured.
 */
import type { Logger } from '../../logging/logger.js';
import type { InboundCall } from '../port.js';

export const DEFAULT_GREETING =
  'Hello. This is Callwright. No agent is configured for this number yet. Goodbye.';

export function greetingHandler(
  logger: Logger,
  text = DEFAULT_GREETING,
): (call: InboundCall) => Promise<void> {
  return async (call) => {
    await call.ring();
    const leg = await call.answer();
    try {
      const outcome = await leg.play({ kind: 'speech', text });
      logger.info({ callId: leg.info.id, played: outcome.status }, 'greeting played');
    } catch (err) {
      logger.warn({ err: (err as Error).message, callId: leg.info.id }, 'greeting could not be played');
    } finally {
      await leg.hangup();
    }
  };
}
