import type { TurnMark } from '../agent/agent.js';
import type { CallRecorder } from './call-recorder.js';
import type { TurnReport } from '../observability/metrics-hooks.js';

/** The moments of one turn, in order; each is ms after the end of the caller's speech. */
export const TURN_MOMENTS = [
  'final_transcript',
  'first_token',
  'first_sentence',
  'first_audio',
  'first_packet',
] as const;
export type TurnMoment = (typeof TURN_MOMENTS)[number];

interface OpenTurn {
  /** performance.now() when the caller's speech ended (the end-of-turn silence was heard). */
  endOfSpeech: number;
  /** Ms into the call (the transcript's clock) when it ended. */
  atMs: number;
  /** No voice-activity end came before the line (a line sent over the API). */
  textOnly: boolean;
  marks: Partial<Record<TurnMoment, number>>;
}

/**
 * The latency breakdown of each turn: from the end of the caller's speech to the final transcript, the
 * model's first token, the first sentence cut, the first synthesised audio and the first RTP packet of
 * the answer. One `turn` call event per turn (recorded once the answer's first packet went out, or when
 * the next turn starts without one); `GET /calls/{id}` lists them.
 *
 * Runs on the main thread at the moments themselves: each mark is one clock read.
 */
export class TurnLatency {
  private open: OpenTurn | undefined;

  constructor(
    private readonly recorder: CallRecorder,
    private readonly callMs: () => number,
    private readonly now: () => number = () => performance.now(),
    /** Told of each recorded turn too (metrics). */
    private readonly report?: (turn: TurnReport) => void,
  ) {}

  /** The caller's turn ended (voice activity): a new turn starts. */
  speechEnded(): void {
    this.flush();
    this.open = { endOfSpeech: this.now(), atMs: this.callMs(), textOnly: false, marks: {} };
  }

  /** A final caller line arrived: the turn's answer is now up to the agent. */
  finalTranscript(): void {
    if (!this.open || this.open.marks.final_transcript !== undefined) {
      this.flush();
      this.open = { endOfSpeech: this.now(), atMs: this.callMs(), textOnly: true, marks: {} };
    }
    this.set('final_transcript');
  }

  mark(moment: TurnMark): void {
    this.set(moment);
  }

  firstAudio(): void {
    this.set('first_audio');
  }

  /** The answer's first packet went out: the turn is complete. */
  firstPacket(): void {
    if (!this.open || this.open.marks.final_transcript === undefined) return;
    this.set('first_packet');
    this.flush();
  }

  /** Records the open turn if it got a final transcript (a noise with no words is not a turn). */
  flush(): void {
    const turn = this.open;
    this.open = undefined;
    if (!turn || turn.marks.final_transcript === undefined) return;
    const ms: Record<string, number> = {};
    for (const m of TURN_MOMENTS) {
      const at = turn.marks[m];
      if (at !== undefined) ms[m] = Math.round(at - turn.endOfSpeech);
    }
    this.recorder.event('turn', { at_ms: turn.atMs, ...(turn.textOnly ? { text_only: true } : {}), ...ms });
    this.report?.({
      textOnly: turn.textOnly,
      finalTranscript: ms.final_transcript,
      firstToken: ms.first_token,
      firstSentence: ms.first_sentence,
      firstAudio: ms.first_audio,
      firstPacket: ms.first_packet,
    });
  }

  private set(moment: TurnMoment): void {
    const turn = this.open;
    // Only the first of each moment counts; moments before a final transcript belong to no turn.
    if (!turn || turn.marks[moment] !== undefined) return;
    if (moment !== 'final_transcript' && turn.marks.final_transcript === undefined) return;
    turn.marks[moment] = this.now();
  }
}
