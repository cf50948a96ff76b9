/**
 * The far ends of the media benchmark's calls, in their own process (as sipp or a trunk would be):
 * answers each offer with a session that plays a looped tone back, and reports packet counters.
 */
import { createMediaEngine } from '../src/telephony/embedded/media/index.js';
import type { RtpMediaSession } from '../src/telephony/embedded/media/rtp-media-session.js';

export type PeerRequest = { type: 'offers'; offers: string[] } | { type: 'counters' } | { type: 'close' };
export type PeerReply =
  { type: 'answers'; answers: string[] } | { type: 'counters'; received: number; late: number };

const engine = createMediaEngine({
  address: '127.0.0.1',
  advertised_address: '',
  rtp_port_min: Number(process.env.BENCH_PEER_RTP_MIN ?? 27500),
  rtp_port_max: Number(process.env.BENCH_PEER_RTP_MAX ?? 29999),
  timeout_ms: 0,
  hold_music: '',
});
const sessions: RtpMediaSession[] = [];

function reply(message: PeerReply): void {
  process.send?.(message);
}

process.on('message', (message: PeerRequest) => {
  void handle(message).catch((err: unknown) => {
    console.error('media peer:', err);
    process.exit(1);
  });
});

async function handle(message: PeerRequest): Promise<void> {
  if (message.type === 'offers') {
    const answers: string[] = [];
    for (const offer of message.offers) {
      const s = await engine.createRtpSession();
      answers.push(s.answerOffer(offer));
      void s.play({ kind: 'tone', frequencies: [350, 440], durationMs: 3_600_000 }, { loop: true });
      sessions.push(s);
    }
    reply({ type: 'answers', answers });
  } else if (message.type === 'counters') {
    let received = 0;
    let late = 0;
    for (const s of sessions) {
      received += s.counters.received;
      late += s.counters.late;
    }
    reply({ type: 'counters', received, late });
  } else {
    await engine.close();
    process.exit(0);
  }
}
