import { describe, expect, it } from 'vitest';
import { CallFeed, callChangeKind, type CallChange } from '../../../src/store/call-feed.js';

const event = (id: number): CallChange => ({
  kind: 'event',
  call_id: 'call_1',
  event: { id, call_id: 'call_1', at: '2026-12-06T08:00:00.000Z', type: 'dtmf', data: {} },
});
const settled = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CallFeed', () => {
  it('delivers each change after the write, in order, to the listeners subscribed when it was written', async () => {
    const feed = new CallFeed();
    const early: number[] = [];
    const late: number[] = [];
    feed.subscribe((c) => c.kind === 'event' && early.push(c.event.id));
    feed.publish(event(1));
    expect(early).toEqual([]);
    feed.subscribe((c) => c.kind === 'event' && late.push(c.event.id));
    feed.publish(event(2));
    await settled();
    expect(early).toEqual([1, 2]);
    expect(late).toEqual([2]);
  });

  it('keeps delivering to the others when one listener throws, and stops after unsubscribe', async () => {
    const feed = new CallFeed();
    const got: number[] = [];
    feed.subscribe(() => {
      throw new Error('closed socket');
    });
    const off = feed.subscribe((c) => c.kind === 'event' && got.push(c.event.id));
    feed.publish(event(1));
    await settled();
    off();
    feed.publish(event(2));
    await settled();
    expect(got).toEqual([1]);
  });

  it('says whether anyone listens, so publishers skip building changes no one reads', () => {
    const feed = new CallFeed();
    expect(feed.listening).toBe(false);
    const off = feed.subscribe(() => undefined);
    expect(feed.listening).toBe(true);
    off();
    expect(feed.listening).toBe(false);
  });

  it.each([
    [{ ended_at: 'x', state: 'ended' }, 'ended'],
    [{ answered_at: 'x' }, 'answered'],
    [{ state: 'handed-off' }, 'state'],
    [{ call_disposition: 'sale' }, 'updated'],
  ] as const)('names the update %j as %s', (fields, kind) => {
    expect(callChangeKind(fields)).toBe(kind);
  });
});
