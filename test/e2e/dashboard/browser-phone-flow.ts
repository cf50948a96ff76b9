/**
 * The browser phone in real Chromium, on any backend: SIP.js in the page calls the demo agent over SIP
 * on a WebSocket with WebRTC audio from a fake microphone playing 440 Hz, started from the agent page's
 * "Talk to this agent" (the phone page passes the dashboard's page checks). The call reaches the agent (its
 * whole-call recording has 440 Hz in the caller's channel), the page receives the greeting (WebRTC
 * stats), the call is listed by GET /calls, and hanging up from the page ends it completed; an agent
 * that hangs up ends the page's call. A browser that refuses the microphone shows why and makes no
 * call. Run by browser-phone.test.ts (embedded) and test/freeswitch/browser-phone.live.ts (live
 * drachtio-server + FreeSWITCH).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../../../src/server.js';
import { tone, writeWav } from '../../helpers/audio.js';
import { callApi } from '../../helpers/api-client.js';
import { toneShare } from '../telephony/audio-analysis.js';
import { launchChromium, newPage, screenshotPath, signInOnPage } from '../../helpers/browser.js';
import { auditPage, startDashboardServer, type DashboardServer } from './dashboard-harness.js';

export interface PhoneBackend {
  label: string;
  /** Server RTP ports of the test file's port block. */
  rtp: [number, number];
  /** Config overrides: the backend, `sip.websocket`, media addresses. */
  config(): Record<string, unknown>;
  /** Folder the server's data folder is made in (the shared folder for FreeSWITCH); default tmpdir. */
  dataParent?: string;
}

/** The browser phone's acceptance, against a server built with `backend`'s config. */
export function browserPhoneFlow(backend: PhoneBackend): void {
  describe(`browser phone (${backend.label})`, () => {
    let app: DashboardServer;
    let server: RunningServer;
    let browser: Browser;
    let key: string;
    let demoId: string;

    const apiCall = <T>(method: string, url: string, body?: unknown): Promise<T> =>
      callApi<T>(server.apiUrl, key, method, url, body);

    interface CallRow {
      id: string;
      from_number: string;
      agent_id: string;
      direction: string;
      state: string;
      outcome: string | null;
      hangup_by: string | null;
      recording_status: string | null;
      recording_path: string | null;
      ended_at: string | null;
    }

    beforeAll(async () => {
      app = await startDashboardServer({
        rtp: backend.rtp,
        config: backend.config(),
        ...(backend.dataParent ? { dataParent: backend.dataParent } : {}),
      });
      ({ server, key } = app);
      // Chromium reads the fake microphone's WAV and loops it: a steady 440 Hz tone at 48 kHz.
      const toneFile = path.join(app.dir, 'tone440.wav');
      writeWav(toneFile, tone(48000, 10, 440, 0.5), { sampleRate: 48000 });
      const demo = await server.store.agents.findBy('name', 'demo');
      if (!demo) throw new Error('the demo agent was not created');
      demoId = demo.id;
      await apiCall('PATCH', `/agents/${demoId}`, { recording: { enabled: true } });
      browser = await launchChromium([
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${toneFile}`,
        '--autoplay-policy=no-user-gesture-required',
      ]);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
    });

    /** Inbound RTP statistics of the page's call, read through the SIP.js session's peer connection. */
    async function inboundAudio(page: Page): Promise<{ packets: number; energy: number; level: number }> {
      return page.evaluate(async () => {
        const w = globalThis as unknown as {
          callwrightPhone?: {
            peerConnection?: { getStats(): Promise<Map<string, Record<string, unknown>>> };
          };
        };
        const pc = w.callwrightPhone?.peerConnection;
        const out = { packets: 0, energy: 0, level: 0 };
        if (!pc) return out;
        (await pc.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'audio') {
            out.packets = Number(r.packetsReceived ?? 0);
            out.energy = Number(r.totalAudioEnergy ?? 0);
            out.level = Math.max(out.level, Number(r.audioLevel ?? 0));
          }
        });
        return out;
      });
    }

    /** Left channel (the caller) of a two-channel recording WAV. */
    function callerChannel(file: string): Int16Array {
      const wav = readFileSync(file);
      const data = wav.readUInt32LE(40);
      const out = new Int16Array(data / 4);
      for (let i = 0; i < out.length; i++) out[i] = wav.readInt16LE(44 + i * 4);
      return out;
    }

    /** Median 440 Hz share over 100 ms blocks that carry sound. */
    function share440(pcm: Int16Array): number {
      const shares: number[] = [];
      for (let at = 0; at + 800 <= pcm.length; at += 800) {
        const block = pcm.subarray(at, at + 800);
        if (block.some((v) => Math.abs(v) > 500)) shares.push(toneShare(block, 440));
      }
      shares.sort((a, b) => a - b);
      return shares[Math.floor(shares.length / 2)] ?? 0;
    }

    it('calls the demo agent from the page: 440 Hz reaches the agent, the greeting reaches the page', async () => {
      const { context, page } = await newPage(browser);
      await signInOnPage(page, server.apiUrl, key);
      // From the agent's page, as a user would.
      await page.goto(`${server.apiUrl}/ui/agents/${demoId}`);
      await page.getByRole('link', { name: 'Talk to this agent' }).click();
      await page.getByRole('heading', { name: 'Call demo' }).waitFor({ timeout: 10_000 });
      expect(await page.getByRole('link', { name: '← Agent demo' }).getAttribute('href')).toBe(
        `/ui/agents/${demoId}`,
      );
      await auditPage(page, `browser-phone-${backend.label}`);

      // Keyboard: Tab reaches the Call button, Enter presses it.
      const call = page.getByRole('button', { name: 'Call', exact: true });
      await call.focus();
      await page.keyboard.press('Enter');
      const status = page.getByRole('status');
      await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe('In call');

      // The greeting arrives: inbound audio packets with energy.
      await expect
        .poll(async () => (await inboundAudio(page)).energy, { timeout: 15_000, interval: 250 })
        .toBeGreaterThan(0);
      const stats = await inboundAudio(page);
      expect(stats.packets).toBeGreaterThan(0);

      // A call like any other: listed, live, inbound, the demo agent's.
      const live = await apiCall<{ items: CallRow[] }>('GET', '/calls');
      const row = live.items.find((c) => c.agent_id === demoId);
      expect(row).toMatchObject({ direction: 'inbound', from_number: 'dashboard' });
      expect(row?.state).not.toBe('ended');
      await page.screenshot({ path: screenshotPath(`browser-phone-in-call-${backend.label}`) });
      // And in the dashboard's own list of live calls, in a second tab of the same session.
      const calls = await context.newPage();
      await calls.goto(`${server.apiUrl}/ui/calls`);
      await calls
        .getByRole('table', { name: /live calls/i })
        .locator(`tr[data-call-id="${row?.id}"]`)
        .waitFor({ timeout: 10_000 });
      await calls.close();

      // Let the tone run into the recording, then hang up from the page (a BYE).
      await page.waitForTimeout(3000);
      await page.getByRole('button', { name: 'Hang up' }).click();
      await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('Call ended: hung up');

      const callId = (row as CallRow).id;
      // The end (state, outcome, ended_at) is written once the recording's file is finished, which on
      // FreeSWITCH takes a few hundred ms after the hang-up.
      await expect
        .poll(async () => (await apiCall<CallRow>('GET', `/calls/${callId}`)).ended_at, { timeout: 15_000 })
        .toBeTruthy();
      const ended = await apiCall<CallRow>('GET', `/calls/${callId}`);
      expect(ended.state).toBe('ended');
      expect(ended).toMatchObject({ outcome: 'completed', hangup_by: 'caller' });

      await expect
        .poll(async () => (await apiCall<CallRow>('GET', `/calls/${callId}`)).recording_status, {
          timeout: 30_000,
        })
        .toBe('ready');
      const recorded = await apiCall<CallRow>('GET', `/calls/${callId}`);
      const caller = callerChannel(recorded.recording_path as string);
      expect(caller.length).toBeGreaterThan(8000 * 3);
      expect(share440(caller)).toBeGreaterThan(0.5);
      await context.close();
    }, 120_000);

    it("shows the agent's hang-up: the server's BYE over the WebSocket ends the page's call", async () => {
      const agent = await apiCall<{ id: string }>('POST', '/agents', {
        name: `brief-${backend.label}`,
        kind: 'scripted',
        config: { steps: [{ say: 'Hello.' }, { hangup: true }] },
      });
      const { context, page } = await newPage(browser);
      await signInOnPage(page, server.apiUrl, key);
      await page.goto(`${server.apiUrl}/ui/agents/${agent.id}/phone`);
      await page.getByRole('button', { name: 'Call', exact: true }).click();
      await expect
        .poll(() => page.getByRole('status').textContent(), { timeout: 30_000 })
        .toBe('Call ended: the agent hung up');
      const calls = await apiCall<{ items: CallRow[] }>('GET', '/calls');
      const row = calls.items.find((c) => c.agent_id === agent.id);
      await expect
        .poll(async () => (await apiCall<CallRow>('GET', `/calls/${row?.id}`)).ended_at, { timeout: 15_000 })
        .toBeTruthy();
      expect(await apiCall<CallRow>('GET', `/calls/${row?.id}`)).toMatchObject({ hangup_by: 'agent' });
      await context.close();
    }, 90_000);

    it('says so when the microphone is refused, and no call is made', async () => {
      // Without --use-fake-ui-for-media-stream headless Chromium refuses the microphone (NotAllowedError).
      const denying = await launchChromium(['--use-fake-device-for-media-stream']);
      try {
        const { page } = await newPage(denying);
        await signInOnPage(page, server.apiUrl, key);
        await page.goto(`${server.apiUrl}/ui/agents/${demoId}/phone`);
        const before = (await apiCall<{ total: number }>('GET', '/calls')).total;
        await page.getByRole('button', { name: 'Call', exact: true }).click();
        await expect
          .poll(() => page.getByRole('status').textContent(), { timeout: 15_000 })
          .toContain('Call ended: microphone permission was denied');
        expect(await page.getByRole('button', { name: 'Call', exact: true }).isEnabled()).toBe(true);
        expect((await apiCall<{ total: number }>('GET', '/calls')).total).toBe(before);
      } finally {
        await denying.close();
      }
    }, 60_000);
  });
}
