/**
 * Answering-machine detection benchmark, offline run: the corpus (test/helpers/amd-corpus.ts: espeak-ng
 * greetings with and without beeps, carrier messages, human answers, silent lines and fax tones, made at
 * run time in a temp dir) goes through the detector file by file, 20 ms frame by frame, as the media
 * tap would give it from the answer on. With `--calls`, after the offline run, the same corpus is played
 * by baresip callees over real calls placed by the server (bench/amd-calls.ts).
 *
 *   npm run bench:amd
 *   npm run bench:amd -- --calls  also over real calls (ports 53500-53999)
 *   BENCH_AMD_PARALLEL (8)        --calls: calls at once, 1-8
 *   BENCH_AMD_VAD=energy,webrtc (default: both)  voice flags: the detector's own energy detector, or
 *                                 WebRTC VAD (VoiceActivityPool, the calls' worker) at BENCH_AMD_VAD_MODE
 *   BENCH_AMD_VAD_MODE (3)        WebRTC VAD aggressiveness 0-3 (speech.turn.vad_mode's default)
 *   BENCH_AMD_SEED (15)           corpus seed (voices, speeds, beeps, levels, noise)
 *   BENCH_VERBOSE=1               one line per call
 *   BENCH_AMD_CLASSIFIER=0        skip the greeting classifier's run (default: after the others, on
 *                                 the set plus 14 short messages, per voice activity source: without
 *                                 and with the phrases classifier on pocketsphinx; BENCH_AMD_PYTHON,
 *                                 BENCH_AMD_MODEL_DIR)
 *
 * Prints, per voice activity source: accuracy per class (a machine counts when its first decision is
 * machine or machine-ready), the confusion matrix, decision time p50/p95 per class, and for machines the
 * machine-ready check: with a beep, ready must come after the beep's end (and how long after); without
 * one, after the greeting's end. Default settings (parseAmdSettings({})). The goal for this set is
 * at least 95 % overall; docs/amd.md has the figures measured and what the detector gets wrong.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseAmdSettings } from '../src/calls/amd/amd-settings.js';
import { AnsweringMachineDetector } from '../src/calls/amd/answering-machine-detector.js';
import type { AmdOutcome } from '../src/calls/amd/amd-decision.js';
import { VoiceActivityPool } from '../src/speech/vad/voice-activity.js';
import {
  amdClassifierExtras,
  amdCorpus,
  runDetector,
  SCREENING_PROMPT,
  SHORT_GREETING,
  type AmdClass,
  type AmdRun,
  type AmdSample,
} from '../test/helpers/amd-corpus.js';
import { classifiedRuns } from '../test/helpers/amd-classified-run.js';
import { tempDir } from '../test/helpers/temp.js';
import { parallelOption, runCallsBench } from './amd-calls.js';

const CLASSES: AmdClass[] = ['human', 'machine', 'fax', 'silence'];
const OUTCOMES: AmdOutcome[] = ['human', 'machine', 'machine-ready', 'fax', 'silence', 'uncertain'];
const verbose = process.env.BENCH_VERBOSE === '1';

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const fmt = (x: number): string => (Number.isFinite(x) ? String(Math.round(x)) : '-');

/** Per-frame WebRTC voice flags for each sample, from the calls' own worker. */
async function webrtcFlags(corpus: AmdSample[], mode: number): Promise<Uint8Array[]> {
  const pool = new VoiceActivityPool();
  try {
    return await Promise.all(
      corpus.map(
        (sample) =>
          new Promise<Uint8Array>((resolve) => {
            const frames = Math.floor(sample.samples.length / 160);
            const flags = new Uint8Array(frames);
            let got = 0;
            // The pool posts whole 40 ms batches: an odd last frame never comes back, nor is it fed.
            const expected = frames - (frames % 2);
            const stream = pool.open(mode, (voiced) => {
              flags.set(voiced, got);
              got += voiced.length;
              if (got >= expected) {
                stream.close();
                resolve(flags);
              }
            });
            for (let f = 0; f < expected; f++) stream.write(sample.samples.slice(f * 160, (f + 1) * 160));
          }),
      ),
    );
  } finally {
    await pool.close();
  }
}

/** The detector alone on every sample, with the voice flags when given. */
function detectorRuns(corpus: AmdSample[], flags: Uint8Array[] | null): AmdRun[] {
  const settings = parseAmdSettings({});
  return corpus.map((sample, i) => runDetector(sample, new AnsweringMachineDetector(settings), flags?.[i]));
}

function report(label: string, corpus: AmdSample[], runs: (AmdRun & { transcript?: string })[]): number {
  const confusion = new Map<AmdClass, Map<AmdOutcome | 'none', number>>();
  const times = new Map<AmdClass, number[]>();
  const afterBeep: number[] = [];
  const afterGreeting: number[] = [];
  let readyEarly = 0;
  let readyMissing = 0;
  let beepMachines = 0;
  let beepsFound = 0;
  let correct = 0;
  let usTotal = 0;
  for (const [i, sample] of corpus.entries()) {
    const run = runs[i]!;
    usTotal += run.usPerFrame;
    const outcome = run.first?.outcome ?? 'none';
    const row = confusion.get(sample.expected) ?? new Map<AmdOutcome | 'none', number>();
    row.set(outcome, (row.get(outcome) ?? 0) + 1);
    confusion.set(sample.expected, row);
    const asClass = outcome === 'machine-ready' ? 'machine' : outcome;
    const ok = asClass === sample.expected;
    if (ok) correct++;
    if (run.first)
      (times.get(sample.expected) ?? times.set(sample.expected, []).get(sample.expected)!).push(
        run.first.evidence.decisionMs,
      );
    let readyNote = '';
    if (sample.expected === 'machine' && ok) {
      const readyMs = run.ready?.evidence.decisionMs;
      if (sample.beep) beepMachines++;
      if (readyMs === undefined) {
        readyMissing++;
        readyNote = 'no machine-ready';
      } else if (sample.beep) {
        if (run.ready?.reason === 'beep') beepsFound++;
        if (readyMs < sample.beep.endMs) {
          readyEarly++;
          readyNote = `READY ${sample.beep.endMs - readyMs} ms BEFORE the beep's end (${run.ready?.reason})`;
        } else {
          afterBeep.push(readyMs - sample.beep.endMs);
          const hz = run.ready?.evidence.beep?.hz;
          readyNote = `ready ${readyMs - sample.beep.endMs} ms after the beep (${run.ready?.reason}${hz ? ` ${hz} Hz` : ''})`;
        }
      } else if (readyMs < (sample.greetingEndMs ?? 0)) {
        readyEarly++;
        readyNote = `READY ${(sample.greetingEndMs ?? 0) - readyMs} ms BEFORE the greeting's end`;
      } else {
        afterGreeting.push(readyMs - (sample.greetingEndMs ?? 0));
        readyNote = `ready ${readyMs - (sample.greetingEndMs ?? 0)} ms after the greeting (${run.ready?.reason})`;
      }
    }
    if (verbose || !ok) {
      const e = run.first?.evidence;
      const ev = e
        ? `at ${e.decisionMs} ms, ${run.first?.reason}; silence ${e.initialSilenceMs} speech ${e.speechMs} words ${e.words} longest ${e.longestWordMs}`
        : '';
      console.log(
        `  ${ok ? 'ok  ' : 'MISS'} ${sample.name.padEnd(28)} ${outcome.padEnd(13)} ${ev} ${readyNote}`,
      );
      if (!ok || verbose) console.log(`       ${sample.description}`);
      if (run.transcript !== undefined) console.log(`       heard ${JSON.stringify(run.transcript)}`);
    }
  }
  console.log(
    `\n${label}: ${correct}/${corpus.length} correct (${((100 * correct) / corpus.length).toFixed(1)} %)`,
  );
  console.log('  class      n   accuracy  decision p50  p95 (ms)');
  for (const c of CLASSES) {
    const row = confusion.get(c);
    const n = [...(row?.values() ?? [])].reduce((a, b) => a + b, 0);
    const hits = (row?.get(c) ?? 0) + (c === 'machine' ? (row?.get('machine-ready') ?? 0) : 0);
    const t = times.get(c) ?? [];
    const acc = n > 0 ? `${((100 * hits) / n).toFixed(1)} %` : '-';
    console.log(
      `  ${c.padEnd(9)} ${String(n).padStart(3)}   ${acc.padStart(7)}  ${fmt(percentile(t, 50)).padStart(11)} ${fmt(percentile(t, 95)).padStart(5)}`,
    );
  }
  console.log(`\n  confusion (rows: truth, columns: first decision)`);
  console.log(`  ${''.padEnd(9)} ${[...OUTCOMES, 'none'].map((o) => o.padStart(14)).join('')}`);
  for (const c of CLASSES) {
    const row = confusion.get(c);
    console.log(
      `  ${c.padEnd(9)} ${[...OUTCOMES, 'none'].map((o) => String(row?.get(o as AmdOutcome) ?? 0).padStart(14)).join('')}`,
    );
  }
  console.log(
    `\n  machine-ready: beeps found ${beepsFound}/${beepMachines}; after the beep's end p50 ${fmt(percentile(afterBeep, 50))} ms, p95 ${fmt(percentile(afterBeep, 95))} ms (n ${afterBeep.length})`,
  );
  console.log(
    `  machine-ready without a beep: after the greeting's end p50 ${fmt(percentile(afterGreeting, 50))} ms, p95 ${fmt(percentile(afterGreeting, 95))} ms (n ${afterGreeting.length})`,
  );
  console.log(`  ready too early: ${readyEarly}, never ready: ${readyMissing}`);
  if (usTotal > 0)
    console.log(`  detector cost: ${(usTotal / corpus.length).toFixed(1)} µs per 20 ms frame (mean)`);
  return correct / corpus.length;
}

/** The short recorded messages the speech rules take for a person, and how many of each came out right. */
const GROUPS: [string, RegExp][] = [
  [`"${SHORT_GREETING}"`, /^short-/],
  [`"${SCREENING_PROMPT}"`, /^screening-/],
  ['"The person you are calling is not available."', /^carrier-.*-c0$/],
  ['"Hey, it\'s Chris. Leave a message." (no beep)', /^machine-.*-g5$/],
];

function groupLine(all: AmdSample[], runs: AmdRun[]): string {
  return GROUPS.map(([label, re]) => {
    const idx = all.flatMap((s, i) => (re.test(s.name) ? [i] : []));
    const ok = idx.filter((i) => ['machine', 'machine-ready'].includes(runs[i]!.first?.outcome ?? '')).length;
    return `${label} ${ok}/${idx.length}`;
  }).join(', ');
}

/**
 * The greeting classifier: the full set plus its extra calls (short beep-less greetings, a screening
 * assistant), per voice activity source, once without and once with the phrases classifier on
 * pocketsphinx.
 */
async function classifierReport(
  corpus: AmdSample[],
  dir: string,
  seed: number,
  mode: number,
  sources: string[],
): Promise<void> {
  const all = [...corpus, ...amdClassifierExtras(dir, seed)];
  console.log(
    `\nGreeting classifier: the ${corpus.length} calls and ${all.length - corpus.length} more (short beep-less greetings "${SHORT_GREETING}", a screening assistant "${SCREENING_PROMPT}"); load ${os.loadavg()[0]?.toFixed(2)}`,
  );
  for (const source of sources) {
    const flags = source === 'webrtc' ? await webrtcFlags(all, mode) : null;
    const label = source === 'webrtc' ? `WebRTC VAD mode ${mode}` : 'energy voice activity';
    const plain = detectorRuns(all, flags);
    report(`${label}, no classifier`, all, plain);
    console.log(`  short messages: ${groupLine(all, plain)}`);
    const t0 = Date.now();
    const runs = await classifiedRuns(all, parseAmdSettings({}), flags ?? undefined);
    report(`${label} + phrases classifier (pocketsphinx)`, all, runs);
    console.log(`  short messages: ${groupLine(all, runs)}`);
    const waits = runs.flatMap((r) => (r.waitMs === undefined ? [] : [r.waitMs]));
    const byClass = (c: AmdClass): string => {
      const w = runs.flatMap((r, i) => (r.waitMs !== undefined && all[i]!.expected === c ? [r.waitMs] : []));
      return `${c} p50 ${fmt(percentile(w, 50))} p95 ${fmt(percentile(w, 95))} (n ${w.length})`;
    };
    console.log(
      `  held human decisions waited for the transcript (wall ms): p50 ${fmt(percentile(waits, 50))}, p95 ${fmt(percentile(waits, 95))}, max ${fmt(Math.max(...waits))} (n ${waits.length}); ${byClass('human')}; ${byClass('machine')}`,
    );
    const verdicts = new Map<string, number>();
    for (const r of runs)
      if (r.waitMs !== undefined) verdicts.set(String(r.verdict), (verdicts.get(String(r.verdict)) ?? 0) + 1);
    console.log(
      `  verdicts: ${[...verdicts].map(([v, n]) => `${v} ${n}`).join(', ')}; run took ${Date.now() - t0} ms`,
    );
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { calls: { type: 'boolean', default: false } } });
  const sources = (process.env.BENCH_AMD_VAD ?? 'energy,webrtc').split(',');
  const mode = Number(process.env.BENCH_AMD_VAD_MODE ?? 3);
  const seed = Number(process.env.BENCH_AMD_SEED ?? 15);
  const parallel = args.calls ? parallelOption(process.env.BENCH_AMD_PARALLEL) : 0;
  const tmp = tempDir('callwright-amd-');
  try {
    const t0 = Date.now();
    const corpus = amdCorpus(tmp.dir, seed);
    const counts = CLASSES.map((c) => `${corpus.filter((s) => s.expected === c).length} ${c}`).join(', ');
    console.log(
      `AMD offline bench: ${corpus.length} calls (${counts}), seed ${seed}, made in ${Date.now() - t0} ms; load ${os.loadavg()[0]?.toFixed(2)}`,
    );
    for (const source of sources) {
      if (source === 'energy') report('energy voice activity (built in)', corpus, detectorRuns(corpus, null));
      else if (source === 'webrtc')
        report(`WebRTC VAD mode ${mode}`, corpus, detectorRuns(corpus, await webrtcFlags(corpus, mode)));
      else throw new Error(`BENCH_AMD_VAD: got ${JSON.stringify(source)}, expected energy and/or webrtc`);
    }
    if (process.env.BENCH_AMD_CLASSIFIER !== '0')
      await classifierReport(corpus, tmp.dir, seed, mode, sources);
    if (args.calls) await runCallsBench(corpus, tmp.dir, parallel, verbose);
  } finally {
    tmp.cleanup();
  }
}

await main();
