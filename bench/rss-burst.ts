/**
 * npx tsx bench/rss-burst.ts: where does the server's RSS go after a burst of calls, and does it come
 * back? (docs/benchmarks.md, "RSS after a burst".)
 *
 * The real server (`callwright start`, a child process: bench/server-child.ts) with the soak's scripted
 * agent (a prompt, then waiting for a key; no recogniser) takes --bursts bursts of --calls calls at
 * --rate calls/s (sipp, --hold-ms long, PCMU streamed both ways with --media). Before, right after and
 * --settle-s after each burst it prints RSS (anonymous and file-backed, from /proc), the V8 heap (used
 * and total, as found and after a forced collection), external and array buffers, and the active
 * resources. A leak shows as heap used after gc (or resources) growing burst after burst; memory the
 * allocators keep shows as RSS staying up while heap used after gc comes back.
 *
 * Options: --calls (20000), --rate (300), --hold-ms (1000), --bursts (2), --settle-s (45), --media (off),
 * --env KEY=VALUE (for the server, e.g. MALLOC_ARENA_MAX=2), --node-arg FLAG (e.g. --max-semi-space-size=1).
 * Ports: SIP 48620, sipp 48622 (RTP 48624), API 48631, server RTP 49100-49499 (200 calls at once; calls
 * over that get 503) unless --rtp-min/--rtp-max: beside bench:soak, not beside bench:overload (same RTP range).
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SCENARIOS, startSipp } from '../test/helpers/sipp.js';
import { mb, startServerChild, ulawTone, type ProbeReply, type ServerChild } from './server-child.js';
import { positiveOption } from './options.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '300' },
    'hold-ms': { type: 'string', default: '1000' },
    bursts: { type: 'string', default: '2' },
    'settle-s': { type: 'string', default: '45' },
    media: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'rtp-min': { type: 'string', default: '49100' },
    'rtp-max': { type: 'string', default: '49499' },
  },
});
const num = (name: keyof typeof args): number => positiveOption(args, name, Number.NaN);
const calls = num('calls');
const rate = num('rate');
const holdMs = num('hold-ms');
const bursts = num('bursts');
const settleS = num('settle-s');
const SIP = 48620;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RSS split from /proc: anonymous (heap, malloc arenas, buffers) and file-backed (code, mapped files). */
function procRss(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return `anon ${(kb('RssAnon') / 1024).toFixed(0)} MB, file ${(kb('RssFile') / 1024).toFixed(0)} MB, threads ${kb('Threads')}`;
}

function report(label: string, server: ServerChild, p: ProbeReply): void {
  const total = Object.values(p.resources).reduce((a, b) => a + b, 0);
  const top = Object.entries(p.resources)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `${label.padEnd(26)} rss ${mb(p.before.rss)} MB (${procRss(server.pid)}); heap used ${mb(p.before.heapUsed)} -> ` +
      `${mb(p.after.heapUsed)} MB after gc, heap total ${mb(p.after.heapTotal)} MB; external ${mb(p.after.external)} MB ` +
      `(array buffers ${mb(p.after.arrayBuffers)}); resources ${total} {${top}}; load ${loadavg()[0]!.toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'callwright-rss-'));
  const env = Object.fromEntries(
    (args.env ?? []).map((kv) => {
      const i = kv.indexOf('=');
      if (i < 1) throw new Error(`--env: got ${JSON.stringify(kv)}, expected KEY=VALUE`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
  let scenario = 'uac-invite-answer-hangup.xml';
  if (args.media) {
    ulawTone(path.join(work, 'tone.ulaw'));
    scenario = path.join(work, 'uac-media.xml');
    writeFileSync(
      scenario,
      readFileSync(path.join(SCENARIOS, 'uac-invite-answer-hangup.xml'), 'utf8')
        .replace('RTP/AVP 8 0 101', 'RTP/AVP 0 101')
        .replace('      a=rtpmap:8 PCMA/8000\n', '')
        .replace(
          '  <pause/>',
          '  <nop><action><exec rtp_stream="tone.ulaw,-1,0"/></action></nop>\n  <pause/>',
        ),
    );
  }
  const server = await startServerChild({
    apiPort: SIP + 11,
    env,
    nodeArgs: args['node-arg'] ?? [],
    config: {
      log: { level: 'error' },
      sip: { address: '127.0.0.1', port: SIP, transports: ['udp'] },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: num('rtp-min'),
        rtp_port_max: num('rtp-max'),
        timeout_ms: 30_000,
      },
      speech: { recognizer: 'none' },
      calls: { demo_agent: false, default_agent: 'burst' },
    },
  });
  try {
    await server.api('POST', '/agents', {
      name: 'burst',
      kind: 'scripted',
      config: {
        steps: [
          { say: 'Hello, and welcome.' },
          { gather: { input: 'dtmf', max_digits: 1, timeout_ms: 120_000 } },
        ],
      },
    });
    console.log(
      `rss-burst: ${bursts} x ${calls} calls at ${rate}/s, ${holdMs} ms each${args.media ? ', PCMU both ways' : ''}; ` +
        `server pid ${server.pid}${Object.keys(env).length ? `, env ${JSON.stringify(env)}` : ''}`,
    );
    // One call first, so the prompt is synthesised and cached before the baseline.
    await startSipp({
      scenario,
      cwd: work,
      remote: `127.0.0.1:${SIP}`,
      service: '1',
      localPort: SIP + 2,
      mediaPort: SIP + 4,
      calls: 1,
      extraArgs: ['-d', '500'],
    }).done;
    await sleep(5000);
    report('idle (1 call made)', server, await server.probe(true));
    for (let b = 1; b <= bursts; b++) {
      const started = Date.now();
      const result = await startSipp({
        scenario,
        cwd: work,
        remote: `127.0.0.1:${SIP}`,
        service: '1000',
        localPort: SIP + 2,
        mediaPort: SIP + 4,
        calls,
        rate,
        limit: rate * 10,
        extraArgs: ['-d', String(holdMs), '-rate_increase', '0'],
        timeoutMs: (calls / rate + 120) * 1000,
      }).done;
      const ok = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1] ?? '?';
      const failed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1] ?? '?';
      console.log(
        `burst ${b}: ${ok} successful, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      report(`burst ${b} end (no gc)`, server, await server.probe(false));
      report(`burst ${b} end, gc`, server, await server.probe(true));
      await sleep(settleS * 1000);
      report(`burst ${b} + ${settleS} s, gc`, server, await server.probe(true));
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
