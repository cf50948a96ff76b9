import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CallRecorder } from '../../../src/calls/call-recorder.js';
import type { CallRecord } from '../../../src/store/store.js';
import { tempStore } from '../../helpers/temp.js';

let t: ReturnType<typeof tempStore> | undefined;
afterEach(async () => {
  // Closes the store, then removes its folder.
  await t?.cleanup();
  t = undefined;
});

/** A logger whose error lines the test can read. */
function capturingLogger(): { logger: pino.Logger; errors: string[] } {
  const errors: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as { level: number; msg: string };
      if (line.level >= 50) errors.push(line.msg);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), errors };
}

async function callRow(): Promise<CallRecord> {
  const store = (t as ReturnType<typeof tempStore>).store;
  return store.calls.create({
    direction: 'inbound',
    from_number: '+14155550100',
    to_number: '+14155550199',
    state: 'ringing',
    variables: {},
    started_at: new Date().toISOString(),
  });
}

describe('call history writes', () => {
  it('land in the order they were recorded: events, row updates and amends', async () => {
    t = tempStore();
    const { store } = t;
    const call = await callRow();
    const { logger, errors } = capturingLogger();
    const recorder = new CallRecorder(store, call.id, logger);
    const line = recorder.event('transcript', { text: 'Hello and welc' });
    recorder.event('state', { from: 'ringing', to: 'answered' });
    const answered = recorder.update({ state: 'answered' });
    // Amended while its batch may still be on the way: the stored line ends with the new text.
    recorder.amend(line, { text: 'Hello and welcome' });
    recorder.event('dtmf', { digit: '1' });
    await answered;
    expect((await store.calls.require(call.id)).state).toBe('answered');
    await recorder.flush();
    const events = (await store.callEvents.list(call.id)).items;
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['transcript', { text: 'Hello and welcome' }],
      ['state', { from: 'ringing', to: 'answered' }],
      ['dtmf', { digit: '1' }],
    ]);
    // Written once its id is known: the amend reaches the stored row, not only the pending copy.
    recorder.amend(line, { text: 'Hello and welcome to Callwright' });
    await recorder.flush();
    expect((await store.callEvents.list(call.id)).items[0]?.data).toEqual({
      text: 'Hello and welcome to Callwright',
    });
    expect(errors).toEqual([]);
  });

  it('a failed write is logged, never rejects, and the writes after it still land', async () => {
    t = tempStore();
    const { store } = t;
    const call = await callRow();
    const { logger, errors } = capturingLogger();
    const ghost = new CallRecorder(store, 'call_missing', logger);
    await expect(ghost.update({ state: 'answered' })).resolves.toBeUndefined();
    expect(errors).toEqual(['call row update failed']);
    const recorder = new CallRecorder(store, call.id, logger);
    await recorder.update({ summary: 'still written' });
    expect((await store.calls.require(call.id)).summary).toBe('still written');
  });

  it('a write issued inside another transaction waits for it instead of joining it (no rollback takes it)', async () => {
    t = tempStore();
    const { store } = t;
    const call = await callRow();
    const { logger, errors } = capturingLogger();
    const recorder = new CallRecorder(store, call.id, logger);
    await expect(
      store.transaction(async () => {
        recorder.event('note', { n: 1 });
        void recorder.update({ summary: 'kept' });
        await new Promise((r) => setTimeout(r, 30));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await recorder.flush();
    expect((await store.calls.require(call.id)).summary).toBe('kept');
    expect((await store.callEvents.list(call.id)).items.map((e) => e.type)).toEqual(['note']);
    expect(errors).toEqual([]);
  });

  it('drops writes once the store is closed, without errors', async () => {
    t = tempStore();
    const { store } = t;
    const call = await callRow();
    const { logger, errors } = capturingLogger();
    const recorder = new CallRecorder(store, call.id, logger);
    await store.close();
    recorder.event('late', {});
    await expect(recorder.update({ summary: 'late' })).resolves.toBeUndefined();
    await recorder.flush();
    expect(errors).toEqual([]);
  });
});
