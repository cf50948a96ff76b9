import { createMediaEngine, type RtpMediaEngine } from '../../../../../src/telephony/embedded/media/index.js';
import type { RtpMediaSession } from '../../../../../src/telephony/embedded/media/rtp-media-session.js';
import type { SpeechSynthesizer } from '../../../../../src/speech/speech-synthesizer.js';

/** An engine on loopback within this test file's own RTP port range. */
export function loopbackEngine(
  portMin: number,
  portMax: number,
  options: { timeoutMs?: number; speech?: SpeechSynthesizer } = {},
): RtpMediaEngine {
  return createMediaEngine(
    {
      address: '127.0.0.1',
      advertised_address: '',
      rtp_port_min: portMin,
      rtp_port_max: portMax,
      timeout_ms: options.timeoutMs ?? 0,
      hold_music: '',
    },
    options.speech ? { speech: options.speech } : {},
  );
}

/** Two sessions of `engine` negotiated with each other (a offers, b answers). */
export async function connectedPair(engine: RtpMediaEngine): Promise<[RtpMediaSession, RtpMediaSession]> {
  const a = await engine.createRtpSession();
  const b = await engine.createRtpSession();
  a.applyAnswer(b.answerOffer(a.createOffer()));
  return [a, b];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
