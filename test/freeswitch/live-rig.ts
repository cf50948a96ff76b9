import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { createLogger } from '../../src/logging/logger.js';
import type { SipTrunkSettings } from '../../src/config/schema.js';
import { FreeswitchTelephony } from '../../src/telephony/freeswitch/freeswitch-telephony.js';
import { realDrachtio } from '../../src/telephony/freeswitch/real-drachtio.js';
import type { InboundCall } from '../../src/telephony/port.js';
import { liveSettings, type LiveEnv } from './live-env.js';

// wavefile is CommonJS: the default import works under both vitest and plain Node ESM (tsx).
const { WaveFile } = wavefile;

export const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');
export const PCAP_DIR = '/usr/share/sip-tester';

/** A FreeswitchTelephony on the live daemons with inbound calls routed by Request-URI user. */
export async function startLive(env: LiveEnv, trunks: SipTrunkSettings[] = []) {
  mkdirSync(env.sharedLocal, { recursive: true });
  const telephony = new FreeswitchTelephony({
    settings: liveSettings(env, 'live'),
    trunks,
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent', redact_pii: true }),
    drachtio: realDrachtio(),
  });
  const routes = new Map<string, (call: InboundCall) => Promise<void>>();
  telephony.onInbound(async (call) => {
    const route = routes.get(call.info.to.user);
    if (!route) return call.reject(404);
    await route(call);
  });
  await telephony.start();
  const r = telephony.readiness();
  if (!r.ready) throw new Error(`live daemons not ready: ${r.detail}`);
  return { telephony, routes };
}

export interface SippRun {
  code: number | null;
  output: string;
}

let nextPort = 32100 + (process.pid % 50) * 20;
/**
 * A fresh SIP/RTP port pair in 32100-33599 (33600-33799 are the suite's baresip peers). Blocks are 8
 * apart: sipp's `-mp M` binds M for audio and M+2 for video, so with media = sip+2 a block holds
 * sip..sip+5, and two sipp peers alive at once (a bridge) never take each other's ports.
 */
export function ports(): { sip: number; media: number } {
  nextPort += 8;
  if (nextPort > 33590) nextPort = 32100;
  return { sip: nextPort, media: nextPort + 2 };
}

/** Runs sipp once (`-m 1`); resolves with its exit code (0 = the call went as the scenario says). */
export function runSipp(
  env: LiveEnv,
  scenario: string,
  opts: {
    remote?: string;
    service?: string;
    keys?: Record<string, string>;
    timeoutMs?: number;
    port?: number;
  },
): { done: Promise<SippRun>; port: number } {
  const p = ports();
  const sipPort = opts.port ?? p.sip;
  const args = [
    ...(opts.remote ? [opts.remote] : []),
    '-sf',
    path.isAbsolute(scenario) ? scenario : path.join(SCENARIO_DIR, scenario),
    '-nostdin',
    '-i',
    env.sippAddress,
    '-p',
    String(sipPort),
    '-mp',
    String(p.media),
    '-m',
    '1',
    '-timeout',
    `${Math.ceil((opts.timeoutMs ?? 60_000) / 1000)}s`,
    ...(opts.service ? ['-s', opts.service] : []),
    ...Object.entries(opts.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
  ];
  const child = spawn('sipp', args, { cwd: PCAP_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<SippRun>((resolve) => child.on('close', (code) => resolve({ code, output })));
  return { done, port: sipPort };
}

/** A UAS scenario answering with `status` (uas-answer-status.xml rewritten to that code). */
export function statusScenario(env: LiveEnv, status: number): string {
  const text = readFileSync(path.join(SCENARIO_DIR, 'uas-answer-status.xml'), 'utf8').replace(
    'SIP/2.0 486 Busy Here',
    `SIP/2.0 ${status} Final`,
  );
  const file = path.join(env.sharedLocal, `uas-status-${status}-${process.pid}.xml`);
  writeFileSync(file, text);
  return file;
}

/** RMS of 16-bit samples of a WAV between two times (seconds); any channel count, any rate. */
export function wavRms(file: string, fromSec = 0, toSec = Infinity): number {
  const wav = new WaveFile(readFileSync(file));
  wav.toBitDepth('16');
  const fmt = wav.fmt as { sampleRate: number; numChannels: number };
  const raw = wav.getSamples(true, Int16Array) as unknown as Int16Array;
  const rate = fmt.sampleRate * fmt.numChannels;
  const from = Math.floor(fromSec * rate);
  const to = Math.min(raw.length, Math.floor(toSec * rate));
  let sum = 0;
  for (let i = from; i < to; i++) sum += (raw[i] ?? 0) ** 2;
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
}
