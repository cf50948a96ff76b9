/**
 * Runs baresip 1.0 headless as a SIP peer on loopback, driven through its ctrl_tcp module (netstring
 * framed JSON): dial, send DTMF, hang up; collects its events (call established/closed, DTMF received).
 * With sndfile loaded it records both directions of every call as WAV files in its folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RATE, wavBytes } from './audio.js';

export interface BaresipOptions {
  /** SIP port (UDP/TCP; baresip also takes port+1 for TLS). ctrl_tcp uses sipPort+2, RTP sipPort+10..+49. */
  sipPort: number;
  /** WAV (8 kHz mono 16-bit works best) that baresip sends as its microphone; silence when absent. */
  sourceWav?: string;
  user?: string;
}

export interface BaresipEvent {
  type: string;
  /** When this process received the event (ms since the epoch), stamped by the helper. */
  receivedAt?: number;
  param?: string;
  peeruri?: string;
  [key: string]: unknown;
}

/** 8 kHz mono 16-bit PCM WAV of silence (aufile needs a real RIFF file). */
function silentWav(seconds: number): Buffer {
  return wavBytes(new Int16Array(RATE * seconds));
}

export class Baresip {
  private child?: ChildProcess;
  private ctrl?: net.Socket;
  private buffer = '';
  readonly events: BaresipEvent[] = [];
  private readonly waiters: Array<{
    match: (e: BaresipEvent) => boolean;
    resolve: (e: BaresipEvent) => void;
  }> = [];
  readonly dir: string;
  log = '';

  constructor(readonly options: BaresipOptions) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'baresip-'));
  }

  get uri(): string {
    return `sip:${this.options.user ?? 'peer'}@127.0.0.1:${this.options.sipPort}`;
  }

  async start(): Promise<void> {
    const { sipPort } = this.options;
    const silence = path.join(this.dir, 'silence.wav');
    writeFileSync(silence, silentWav(60));
    const source = `aufile,${this.options.sourceWav ?? silence}`;
    writeFileSync(
      path.join(this.dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'net_interface 127.0.0.1',
        `audio_source ${source}`,
        'audio_player aufile,/dev/null',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module sndfile.so',
        `snd_path ${this.dir}`,
        'module_app account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${sipPort + 2}`,
        `rtp_ports ${sipPort + 10}-${sipPort + 49}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(this.dir, 'accounts'),
      `<${this.uri}>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA;dtmfmode=rtpevent\n`,
    );
    this.child = spawn('baresip', ['-f', this.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    const until = Date.now() + 5000;
    while (!this.log.includes('baresip is ready')) {
      if (Date.now() > until) throw new Error(`baresip did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.ctrl = net.connect({ host: '127.0.0.1', port: sipPort + 2 });
    await new Promise<void>((resolve, reject) => {
      this.ctrl?.once('connect', () => resolve());
      this.ctrl?.once('error', reject);
    });
    this.ctrl.on('data', (d: Buffer) => this.onData(d.toString()));
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buffer.slice(0, colon));
      if (this.buffer.length < colon + 1 + len + 1) return;
      const json = this.buffer.slice(colon + 1, colon + 1 + len);
      this.buffer = this.buffer.slice(colon + 1 + len + 1);
      try {
        const msg = JSON.parse(json) as { event?: boolean; type?: string } & BaresipEvent;
        if (msg.event) {
          msg.receivedAt = Date.now();
          this.events.push(msg);
          for (const w of [...this.waiters]) {
            if (w.match(msg)) {
              this.waiters.splice(this.waiters.indexOf(w), 1);
              w.resolve(msg);
            }
          }
        }
      } catch {
        // Not JSON: ignore.
      }
    }
  }

  /** Sends a ctrl_tcp command (dial, hangup, sndcode, quit …). */
  command(command: string, params = ''): void {
    const json = JSON.stringify({ command, params, token: String(Date.now()) });
    this.ctrl?.write(`${Buffer.byteLength(json)}:${json},`);
  }

  /** Resolves with the first event (already seen or future) of that type, or rejects after `timeoutMs`. */
  waitFor(
    type: string,
    timeoutMs = 10_000,
    match: (e: BaresipEvent) => boolean = () => true,
  ): Promise<BaresipEvent> {
    const seen = this.events.find((e) => e.type === type && match(e));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`baresip: no ${type} within ${timeoutMs} ms\n${this.log.slice(-2000)}`)),
        timeoutMs,
      );
      this.waiters.push({
        match: (e) => e.type === type && match(e),
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** DTMF digits baresip reported receiving, in order. */
  receivedDigits(): string {
    return this.events
      .filter((e) => e.type === 'CALL_DTMF_START')
      .map((e) => e.param ?? '')
      .join('');
  }

  /** WAV files sndfile wrote (…-enc.wav = what baresip sent, …-dec.wav = what it received). */
  recordings(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.wav'))
      .map((f) => path.join(this.dir, f));
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      this.command('quit');
      const exited = new Promise((r) => this.child?.once('exit', r));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1500))]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
    this.ctrl?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
