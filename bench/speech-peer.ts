/**
 * The callers of the speech benchmark's load steps, in their own process (as sipp or a trunk would be):
 * answers each offer with a session that plays a looped WAV of speech with pauses. Each call starts
 * its loop after a random delay of up to `staggerMs`, so the callers' utterances do not all end (and
 * reach the decoders) at the same instant.
 */
import { createMediaEngine } from '../src/telephony/embedded/media/index.js';
import type { RtpMediaSession } from '../src/telephony/embedded/media/rtp-media-session.js';

export type SpeechPeerRequest =
  | { type: 'offers'; offers: string[]; wav: string; staggerMs: number }
  | { type: 'hangup' }
  | { type: 'close' };
export type SpeechPeerReply = { type: 'answers'; answers: string[] } | { type: 'hung-up' };

const engine = createMediaEngine({
  address: '127.0.0.1',
  advertised_address: '',
  rtp_port_min: Number(process.env.BENCH_PEER_RTP_MIN ?? 29500),
  rtp_port_max: Number(process.env.BENCH_PEER_RTP_MAX ?? 29999),
  timeout_ms: 0,
  hold_music: '',
});
const sessions: RtpMediaSession[] = [];
const timers = new Set<NodeJS.Timeout>();

function reply(message: SpeechPeerReply): void {
  process.send?.(message);
}

process.on('message', (message: SpeechPeerRequest) => {
  void handle(message).catch((err: unknown) => {
    console.error('speech peer:', err);
    process.exit(1);
  });
});

async function handle(message: SpeechPeerRequest): Promise<void> {
  if (message.type === 'offers') {
    const answers: string[] = [];
    for (const offer of message.offers) {
      const s = await engine.createRtpSession();
      answers.push(s.answerOffer(offer));
      sessions.push(s);
      const timer = setTimeout(() => {
        timers.delete(timer);
        void s.play({ kind: 'file', path: message.wav }, { loop: true });
      }, Math.random() * message.staggerMs);
      timers.add(timer);
    }
    reply({ type: 'answers', answers });
  } else if (message.type === 'hangup') {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const s of sessions.splice(0)) s.close();
    reply({ type: 'hung-up' });
  } else {
    await engine.close();
    process.exit(0);
  }
}
