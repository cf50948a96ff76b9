/**
 * The live streams over a real HTTP connection (the API listening on port 0): GET /calls/live and
 * GET /calls/{id}/live send their snapshot, then each write to a call, its events and its runs as the
 * store makes it, a heartbeat comment, and a `closing` event when the server stops.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunHistory } from '../../../src/actions/run-history.js';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

interface SseMessage {
  event: string;
  data?: Json;
  comment?: string;
}

/** Reads a text/event-stream response as it arrives; `next` waits (with a timeout) for a matching message. */
class SseReader {
  readonly messages: SseMessage[] = [];
  ended = false;
  private buffer = '';
  private waiters: Array<() => void> = [];

  constructor(readonly res: Response) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    const reader = (this.res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      this.buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
        this.parse(this.buffer.slice(0, cut));
        this.buffer = this.buffer.slice(cut + 2);
      }
      this.wake();
    }
    this.ended = true;
    this.wake();
  }

  private parse(block: string): void {
    const msg: SseMessage = { event: 'message' };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) msg.comment = line.slice(1).trim();
      else if (line.startsWith('event: ')) msg.event = line.slice(7);
      else if (line.startsWith('data: ')) msg.data = JSON.parse(line.slice(6));
    }
    if (msg.comment !== undefined) msg.event = 'comment';
    if (block.startsWith('retry:')) return;
    this.messages.push(msg);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The first message from `from` on that `match` accepts. */
  async next(match: (m: SseMessage) => boolean, from = 0, ms = 5_000): Promise<SseMessage> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended; got ${JSON.stringify(this.messages)}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  async untilEnded(ms = 5_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > end) throw new Error('the stream did not end');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

let h: ApiHarness;
let base = '';
beforeEach(async () => {
  h = await apiHarness({ liveHeartbeatMs: 150 });
  base = (await h.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
});
afterEach(async () => h.close());

async function open(path: string): Promise<SseReader> {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${h.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  return new SseReader(res);
}

function newCall(fields: Record<string, unknown> = {}) {
  return h.store.calls.create({
    direction: 'inbound',
    from_number: '+14155550100',
    to_number: '2000',
    state: 'ringing',
    started_at: new Date().toISOString(),
    ...fields,
  });
}

describe('GET /calls/live', () => {
  it('sends the calls in progress, then each call started, state change, answer and end', async () => {
    const live = await newCall();
    await newCall({ state: 'ended', ended_at: new Date().toISOString() });
    const s = await open('/calls/live');
    const snapshot = await s.next((m) => m.event === 'snapshot');
    expect(snapshot.data.calls.map((c: Json) => c.id)).toEqual([live.id]);

    const call = await newCall();
    const started = await s.next((m) => m.event === 'call' && m.data.change === 'started');
    expect(started.data.call).toMatchObject({ id: call.id, state: 'ringing', from_number: '+14155550100' });
    await h.store.calls.update(call.id, { state: 'answered' });
    await h.store.calls.update(call.id, { answered_at: new Date().toISOString() });
    await h.store.calls.update(call.id, { call_disposition: 'sale' });
    await h.store.calls.update(call.id, {
      state: 'ended',
      ended_at: new Date().toISOString(),
      outcome: 'completed',
    });
    const ended = await s.next((m) => m.event === 'call' && m.data.change === 'ended');
    expect(ended.data.call).toMatchObject({ id: call.id, state: 'ended', outcome: 'completed' });
    const changes = s.messages.filter((m) => m.event === 'call').map((m) => m.data.change);
    expect(changes).toEqual(['started', 'state', 'answered', 'updated', 'ended']);
  });

  it('keeps a quiet stream open with heartbeat comments', async () => {
    const s = await open('/calls/live');
    await s.next((m) => m.event === 'snapshot');
    const beat = await s.next((m) => m.event === 'comment');
    expect(beat.comment).toBe('heartbeat');
  });

  it('ends every stream with a closing event when the server stops, and the feed is left with no listener', async () => {
    const s = await open('/calls/live');
    await s.next((m) => m.event === 'snapshot');
    expect(h.store.feed.listening).toBe(true);
    await h.app.close();
    await s.untilEnded();
    expect(s.messages.at(-1)).toMatchObject({ event: 'closing', data: { reason: 'server stopping' } });
    expect(h.store.feed.listening).toBe(false);
  });

  it('ends a stream at the next heartbeat once its key is revoked', async () => {
    const { record, token } = await h.store.apiKeys.create('short-lived');
    const res = await fetch(base + '/calls/live', { headers: { authorization: `Bearer ${token}` } });
    const s = new SseReader(res);
    await s.next((m) => m.event === 'snapshot');
    await h.store.apiKeys.revoke(record.id);
    await s.untilEnded();
    expect(s.messages.at(-1)).toMatchObject({
      event: 'closing',
      data: { reason: 'invalid or revoked API key' },
    });
  });

  it('needs the API key or the session cookie', async () => {
    const res = await fetch(base + '/calls/live');
    expect(res.status).toBe(401);
  });
});

describe('GET /calls/{id}/live', () => {
  it("sends the call's history, then its own new events, amended events and action runs only", async () => {
    const call = await newCall({ state: 'answered' });
    const other = await newCall();
    await h.store.callEvents.append(call.id, 'transcript', { speaker: 'agent', text: 'Hello.' });
    const s = await open(`/calls/${call.id}/live`);
    const snapshot = await s.next((m) => m.event === 'snapshot');
    expect(snapshot.data.call.id).toBe(call.id);
    expect(snapshot.data.events.map((e: Json) => e.data.text)).toEqual(['Hello.']);
    expect(snapshot.data.runs).toEqual([]);

    await h.store.callEvents.append(other.id, 'transcript', { speaker: 'caller', text: 'not this call' });
    const line = await h.store.callEvents.append(call.id, 'transcript', {
      speaker: 'agent',
      text: 'How can I',
    });
    await h.store.callEvents.amend(call.id, line.id, { speaker: 'agent', text: 'How can I help?' });
    const amended = await s.next((m) => m.event === 'event' && m.data.data.text === 'How can I help?');
    expect(amended.data).toMatchObject({ id: line.id, call_id: call.id, type: 'transcript' });

    // The execution history as the engine makes it: over the store's database, telling its feed.
    const runHistory = new RunHistory(h.store.sql, h.store.feed);
    const runId = await runHistory.start({
      actionId: null,
      callId: call.id,
      actionType: 'call-disposition',
      stage: 'during',
      trigger: { kind: 'tool' },
      inputs: { disposition: 'sale' },
    });
    await runHistory.finish(runId, {
      status: 'succeeded',
      outputs: { disposition: 'sale' },
      attempts: 1,
      durationMs: 12,
    });
    const finished = await s.next((m) => m.event === 'run' && m.data.status === 'succeeded');
    expect(finished.data).toMatchObject({
      id: runId,
      call_id: call.id,
      action_type: 'call-disposition',
      trigger: { kind: 'tool' },
      outputs: { disposition: 'sale' },
      duration_ms: 12,
    });
    expect(s.messages.filter((m) => m.event === 'run').map((m) => m.data.status)).toEqual([
      'running',
      'succeeded',
    ]);
    const texts = s.messages.filter((m) => m.event === 'event').map((m) => m.data.data.text);
    expect(texts).toEqual(['How can I', 'How can I help?']);
  });

  it('answers 404 for an unknown call, as a JSON error', async () => {
    const res = await fetch(base + '/calls/call_nope/live', {
      headers: { authorization: `Bearer ${h.token}` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as Json).code).toBe('NOT_FOUND');
  });
});
