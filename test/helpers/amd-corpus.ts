/**
 * The answering-machine detection corpus, made at run time (no audio is committed): espeak-ng says
 * greetings and human answers in several voices and speeds, sox brings them to the telephone band at
 * 8 kHz mono, and each call's audio is assembled here from the moment of the answer: the callee's
 * delay, the speech, beeps at several frequencies (some off the standard ones), fax tones, low noise
 * under everything, and a G.711 round trip. A seeded generator makes every run the same.
 *
 * `amdCorpus(dir)` is the full set for `npm run bench:amd`; `amdCorpusSubset(dir)` a fixed handful
 * for the unit tests.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { AmdDecision } from '../../src/calls/amd/amd-decision.js';
import {
  AMD_FRAME_SAMPLES,
  type AnsweringMachineDetector,
} from '../../src/calls/amd/answering-machine-detector.js';
import { decodeTable, encodeTable, type G711Codec } from '../../src/telephony/embedded/media/g711.js';
import { readWav8kMono, RATE } from './audio.js';

export type AmdClass = 'human' | 'machine' | 'fax' | 'silence';

export interface AmdSample {
  name: string;
  expected: AmdClass;
  /** What it is, for reports: voice, speed, text, beep. */
  description: string;
  /** The callee's audio from the answer on, 8 kHz 16-bit mono. */
  samples: Int16Array;
  /** Machines: where the greeting's speech ends (ms since the answer). */
  greetingEndMs?: number;
  /** Machines with a beep: the tone (ms since the answer). */
  beep?: { hz: number; startMs: number; endMs: number };
}

/** How one sample is made. */
export type AmdSampleSpec =
  | { kind: 'human'; texts: string[]; voice: string; speed: number; pauseMs: number }
  | { kind: 'machine'; text: string; voice: string; speed: number; beepHz: number | null; beepMs: number }
  | { kind: 'silence' }
  | { kind: 'fax'; tone: 'cng' | 'ced' };

export const MACHINE_GREETINGS = [
  "Hi, you've reached Sam, leave a message after the tone.",
  "Hello, you have reached the voicemail of Alex Morgan. I'm not available right now. Please leave your name and number and I will call you back.",
  'Thank you for calling Riverside Dental. Our office is currently closed. Please leave a message after the beep.',
  "Hi, this is Jordan. Sorry I missed your call, I'll get back to you as soon as I can.",
  'You have reached extension four two one. Please record your message at the tone. When you are finished, hang up.',
  "Hey, it's Chris. Leave a message.",
];
export const CARRIER_MESSAGES = [
  'The person you are calling is not available.',
  'The person you are calling is not available. Please try again later.',
  'The number you have dialled cannot take your call at the moment. Please leave a message after the tone.',
];
export const HUMAN_ANSWERS = [
  ['Hello?'],
  ['Yes, this is Sam speaking.'],
  ['Hi, who is this?'],
  ['Hello?', 'Hello? Who is this?'],
  ['Yeah, hello.'],
  ['Good morning, Sam speaking.'],
  ['Hello?', 'Anyone there?'],
];
export const VOICES = ['en-us', 'en-gb', 'en-us+f3', 'en-gb+m3', 'en-gb-scotland', 'en-us+f2', 'en-029'];
export const SPEEDS = [140, 155, 175, 195];
export const BEEP_HZ = [440, 850, 1000, 1400];

/** The fixed handful the unit tests use: every class, beeps on and off the standard frequencies. */
export const SUBSET_SPECS: { name: string; spec: AmdSampleSpec }[] = [
  {
    name: 'human-hello',
    spec: { kind: 'human', texts: ['Hello?'], voice: 'en-us', speed: 175, pauseMs: 2500 },
  },
  {
    name: 'human-sam',
    spec: { kind: 'human', texts: ['Yes, this is Sam speaking.'], voice: 'en-gb', speed: 160, pauseMs: 2500 },
  },
  {
    name: 'human-who',
    spec: { kind: 'human', texts: ['Hi, who is this?'], voice: 'en-us+f3', speed: 175, pauseMs: 2500 },
  },
  {
    name: 'machine-beep-1000',
    spec: {
      kind: 'machine',
      text: MACHINE_GREETINGS[0]!,
      voice: 'en-us',
      speed: 175,
      beepHz: 1000,
      beepMs: 500,
    },
  },
  {
    name: 'machine-beep-1420',
    spec: {
      kind: 'machine',
      text: MACHINE_GREETINGS[2]!,
      voice: 'en-gb',
      speed: 160,
      beepHz: 1420,
      beepMs: 300,
    },
  },
  {
    name: 'machine-no-beep',
    spec: {
      kind: 'machine',
      text: MACHINE_GREETINGS[0]!,
      voice: 'en-us+f3',
      speed: 175,
      beepHz: null,
      beepMs: 0,
    },
  },
  {
    name: 'machine-carrier',
    spec: {
      kind: 'machine',
      text: CARRIER_MESSAGES[1]!,
      voice: 'en-gb',
      speed: 175,
      beepHz: null,
      beepMs: 0,
    },
  },
  { name: 'silence', spec: { kind: 'silence' } },
  { name: 'fax-cng', spec: { kind: 'fax', tone: 'cng' } },
];

/** mulberry32: a small seeded generator, so the corpus is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The full bench set: per voice and greeting, machines with and without a beep (beep frequency,
 * length and the gap before it vary, the frequency up to ±2 % off), carrier messages, human answers
 * in every voice, silent lines and fax tones: 114 calls.
 */
export function amdCorpus(dir: string, seed = 15): AmdSample[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const specs: { name: string; spec: AmdSampleSpec }[] = [];
  VOICES.forEach((voice, v) => {
    MACHINE_GREETINGS.forEach((text, g) => {
      const withBeep = (v + g) % 3 !== 0;
      const beepHz = withBeep ? Math.round(pick(BEEP_HZ) * (0.98 + 0.04 * rnd())) : null;
      const beepMs = 200 + Math.round(rnd() * 10) * 80;
      const spec: AmdSampleSpec = { kind: 'machine', text, voice, speed: pick(SPEEDS), beepHz, beepMs };
      specs.push({ name: `machine-${voice}-g${g}${withBeep ? '-beep' : ''}`, spec });
    });
  });
  VOICES.forEach((voice, v) => {
    const text = CARRIER_MESSAGES[v % CARRIER_MESSAGES.length]!;
    const beep = text.includes('tone');
    const spec: AmdSampleSpec = {
      kind: 'machine',
      text,
      voice,
      speed: pick(SPEEDS),
      beepHz: beep ? pick(BEEP_HZ) : null,
      beepMs: 400,
    };
    specs.push({ name: `carrier-${voice}-c${v % CARRIER_MESSAGES.length}`, spec });
  });
  VOICES.forEach((voice) => {
    HUMAN_ANSWERS.forEach((texts, h) => {
      const pauseMs = 1500 + Math.round(rnd() * 15) * 100;
      specs.push({
        name: `human-${voice}-h${h}`,
        spec: { kind: 'human', texts, voice, speed: pick(SPEEDS), pauseMs },
      });
    });
  });
  for (let i = 0; i < 8; i++) specs.push({ name: `silence-${i}`, spec: { kind: 'silence' } });
  for (let i = 0; i < 8; i++)
    specs.push({ name: `fax-${i}`, spec: { kind: 'fax', tone: i < 6 ? 'cng' : 'ced' } });
  const maker = new SampleMaker(dir, rnd);
  return specs.map(({ name, spec }) => maker.make(name, spec));
}

/** Short greetings the speech rules alone take for a person: the greeting classifier's test set. */
export const SHORT_GREETING = "Hi, you've reached Sam.";
export const SCREENING_PROMPT = 'Please state your name.';

/**
 * The greeting classifier's extra calls (bench and tests), beside the full set: in every voice, the
 * short beep-less greeting "Hi, you've reached Sam." and a call-screening assistant's "Please state
 * your name.", both followed by silence: 14 machines the speech rules alone decide `human`. A
 * generator of its own (seed + 1000), so the full set stays as it was.
 */
export function amdClassifierExtras(dir: string, seed = 15): AmdSample[] {
  const rnd = seededRandom(seed + 1000);
  const specs: { name: string; spec: AmdSampleSpec }[] = [];
  for (const voice of VOICES) {
    const speed = SPEEDS[Math.floor(rnd() * SPEEDS.length)]!;
    specs.push({
      name: `short-${voice}`,
      spec: { kind: 'machine', text: SHORT_GREETING, voice, speed, beepHz: null, beepMs: 0 },
    });
    specs.push({
      name: `screening-${voice}`,
      spec: { kind: 'machine', text: SCREENING_PROMPT, voice, speed, beepHz: null, beepMs: 0 },
    });
  }
  const maker = new SampleMaker(dir, rnd, 'extra');
  return specs.map(({ name, spec }) => maker.make(name, spec));
}

/** The unit tests' fixed subset (SUBSET_SPECS). */
export function amdCorpusSubset(dir: string, seed = 15): AmdSample[] {
  const maker = new SampleMaker(dir, seededRandom(seed));
  return SUBSET_SPECS.map(({ name, spec }) => maker.make(name, spec));
}

const msToSamples = (ms: number): number => Math.round((ms * RATE) / 1000);
const sToMs = (n: number): number => Math.round((n * 1000) / RATE);

/** Assembles call audio; caches each spoken phrase (text, voice, speed) for the run. */
class SampleMaker {
  private readonly spoken = new Map<string, Float64Array>();
  private count = 0;

  constructor(
    private readonly dir: string,
    private readonly rnd: () => number,
    /** File name prefix: two makers may share a folder. */
    private readonly prefix = 'amd',
  ) {}

  make(name: string, spec: AmdSampleSpec): AmdSample {
    switch (spec.kind) {
      case 'human':
        return this.human(name, spec);
      case 'machine':
        return this.machine(name, spec);
      case 'silence':
        return this.finish(name, 'silence', 'noise only', new Float64Array(msToSamples(7000)));
      case 'fax':
        return this.fax(name, spec.tone);
    }
  }

  private human(name: string, spec: Extract<AmdSampleSpec, { kind: 'human' }>): AmdSample {
    const parts: Float64Array[] = [new Float64Array(msToSamples(200 + this.rnd() * 700))];
    const gain = this.speechGain();
    for (const text of spec.texts) {
      parts.push(scaled(this.speak(text, spec.voice, spec.speed), gain));
      parts.push(new Float64Array(msToSamples(spec.pauseMs)));
    }
    parts.push(new Float64Array(msToSamples(1500)));
    const desc = `${spec.voice} ${spec.speed} wpm "${spec.texts.join(' … ')}" pause ${spec.pauseMs} ms`;
    return this.finish(name, 'human', desc, concat(parts));
  }

  private machine(name: string, spec: Extract<AmdSampleSpec, { kind: 'machine' }>): AmdSample {
    const lead = new Float64Array(msToSamples(100 + this.rnd() * 500));
    const speech = scaled(this.speak(spec.text, spec.voice, spec.speed), this.speechGain());
    const greetingEndMs = sToMs(lead.length + speech.length);
    const parts = [lead, speech];
    let beep: AmdSample['beep'];
    if (spec.beepHz !== null) {
      const gap = new Float64Array(msToSamples(200 + this.rnd() * 700));
      const level = 0.15 + this.rnd() * 0.35;
      const tone = sine(spec.beepHz, spec.beepMs, level);
      const startMs = sToMs(lead.length + speech.length + gap.length);
      beep = { hz: spec.beepHz, startMs, endMs: startMs + spec.beepMs };
      parts.push(gap, tone);
    }
    parts.push(new Float64Array(msToSamples(3500)));
    const beepText = beep ? `beep ${beep.hz} Hz ${spec.beepMs} ms` : 'no beep';
    const desc = `${spec.voice} ${spec.speed} wpm "${spec.text}" ${beepText}`;
    const sample = this.finish(name, 'machine', desc, concat(parts));
    sample.greetingEndMs = greetingEndMs;
    if (beep) sample.beep = beep;
    return sample;
  }

  /** CNG: 1100 Hz, 0.5 s on, 3 s off (the calling fax); CED: 2100 Hz for about 3 s (the answering one). */
  private fax(name: string, tone: 'cng' | 'ced'): AmdSample {
    const level = 0.1 + this.rnd() * 0.3;
    const parts: Float64Array[] = [new Float64Array(msToSamples(200 + this.rnd() * 1500))];
    if (tone === 'cng') {
      for (let i = 0; i < 3; i++) parts.push(sine(1100, 500, level), new Float64Array(msToSamples(3000)));
    } else {
      parts.push(sine(2100, 3300, level), new Float64Array(msToSamples(2000)));
    }
    const desc = tone === 'cng' ? 'CNG 1100 Hz 0.5 s on / 3 s off' : 'CED 2100 Hz 3.3 s';
    return this.finish(name, 'fax', desc, concat(parts));
  }

  /** Peak between -12 and -3 dBFS. */
  private speechGain(): number {
    return 10 ** (-(3 + this.rnd() * 9) / 20);
  }

  /**
   * Adds white noise (-62 to -45 dBFS RMS), converts to 16-bit and takes the audio through G.711
   * (PCMU or PCMA, the media layer's own tables) as a call would.
   */
  private finish(name: string, expected: AmdClass, description: string, signal: Float64Array): AmdSample {
    const noiseRms = 10 ** (-(45 + this.rnd() * 17) / 20);
    const codec: G711Codec = this.rnd() < 0.5 ? 'PCMU' : 'PCMA';
    const encode = encodeTable(codec);
    const decode = decodeTable(codec);
    const samples = new Int16Array(signal.length);
    for (let i = 0; i < signal.length; i++) {
      // Sum of three uniforms: near-Gaussian, unit variance after scaling by 2.
      const n = (this.rnd() + this.rnd() + this.rnd() - 1.5) * 2;
      const v = Math.max(-32768, Math.min(32767, Math.round(((signal[i] as number) + n * noiseRms) * 32767)));
      samples[i] = decode[encode[v + 32768] as number] as number;
    }
    const noise = `noise ${(20 * Math.log10(noiseRms)).toFixed(0)} dBFS, ${codec}`;
    return { name, expected, description: `${description}; ${noise}`, samples };
  }

  /** espeak-ng at 22 kHz, then sox to the telephone band at 8 kHz; trimmed, peak-normalised. */
  private speak(text: string, voice: string, speed: number): Float64Array {
    const key = `${voice}|${speed}|${text}`;
    const cached = this.spoken.get(key);
    if (cached) return cached;
    const n = this.count++;
    const raw = path.join(this.dir, `${this.prefix}-${n}-22k.wav`);
    const wav = path.join(this.dir, `${this.prefix}-${n}-8k.wav`);
    execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-w', raw, text]);
    // The telephone band. -R: the same dither on every run (the corpus must not change between runs);
    // -G lowers the gain where the filters would clip, -V1 keeps sox quiet about it.
    const band = ['highpass', '300', 'lowpass', '3400'];
    execFileSync('sox', ['-R', '-V1', '-G', raw, '-r', String(RATE), '-c', '1', '-b', '16', wav, ...band]);
    const pcm = readWav8kMono(wav);
    let first = 0;
    while (first < pcm.length && Math.abs(pcm[first] as number) < 300) first++;
    let last = pcm.length - 1;
    while (last > first && Math.abs(pcm[last] as number) < 300) last--;
    let peak = 1;
    for (let i = first; i <= last; i++) peak = Math.max(peak, Math.abs(pcm[i] as number));
    const out = Float64Array.from(pcm.subarray(first, last + 1), (v) => v / peak);
    this.spoken.set(key, out);
    return out;
  }
}

function scaled(x: Float64Array, gain: number): Float64Array {
  return Float64Array.from(x, (v) => v * gain);
}

/** A tone with 5 ms raised-cosine edges, as a real beep has (no clicks at its ends). */
function sine(hz: number, ms: number, level: number): Float64Array {
  const n = msToSamples(ms);
  const ramp = msToSamples(5);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const edge = Math.min(1, i / ramp, (n - 1 - i) / ramp);
    const env = edge < 1 ? 0.5 - 0.5 * Math.cos(Math.PI * edge) : 1;
    out[i] = level * env * Math.sin((2 * Math.PI * hz * i) / RATE);
  }
  return out;
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What the detector made of one sample: its first decision and, after `machine`, the ready one. */
export interface AmdRun {
  first: AmdDecision | null;
  ready: AmdDecision | null;
  /** Microseconds of detector time per frame (mean). */
  usPerFrame: number;
}

/**
 * Feeds a sample to `detector` in 20 ms frames (one reused buffer, as the media tap does), with the
 * per-frame voice flags when given, until it is done or the audio ends.
 */
export function runDetector(
  sample: AmdSample,
  detector: AnsweringMachineDetector,
  voiced?: ArrayLike<number>,
): AmdRun {
  const frame = new Int16Array(AMD_FRAME_SAMPLES);
  let first: AmdDecision | null = null;
  let ready: AmdDecision | null = null;
  let frames = 0;
  const t0 = process.hrtime.bigint();
  for (
    let at = 0;
    at + AMD_FRAME_SAMPLES <= sample.samples.length && !detector.done;
    at += AMD_FRAME_SAMPLES
  ) {
    frame.set(sample.samples.subarray(at, at + AMD_FRAME_SAMPLES));
    const flag = voiced ? voiced[frames] === 1 : undefined;
    frames++;
    const d = flag === undefined ? detector.push(frame) : detector.push(frame, flag);
    if (!d) continue;
    if (!first) first = d;
    if (d.outcome === 'machine-ready') ready = d;
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  return { first, ready, usPerFrame: frames > 0 ? us / frames : 0 };
}
