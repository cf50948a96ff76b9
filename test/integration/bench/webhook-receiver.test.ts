/**
 * The benches' loopback webhook receiver (bench/server-child.ts): bench:cluster times the after-call
 * work from what it records, so every request is kept in arrival order with its call id and the call's
 * ended_at from the payload; a body that is not the webhook payload is counted all the same.
 * Port for this file: 61790.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookReceiver } from '../../../bench/server-child.js';

let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
beforeAll(async () => {
  receiver = await webhookReceiver(61790);
});
afterAll(async () => receiver?.close());

const post = async (body: string): Promise<number> =>
  (await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
    .status;

describe('the benches webhook receiver', () => {
  it('records each delivery with its call and the call end, in arrival order', async () => {
    const before = Date.now();
    const endedAt = '2026-01-02T03:04:05.678Z';
    expect(await post(JSON.stringify({ data: { call: { id: 'call_a', ended_at: endedAt } } }))).toBe(200);
    expect(await post(JSON.stringify({ data: { call: { id: 'call_b', ended_at: null } } }))).toBe(200);
    expect(await post('not json')).toBe(200);
    expect(receiver.count()).toBe(3);
    expect([...receiver.callIds]).toEqual(['call_a', 'call_b']);
    const [a, b, c] = receiver.deliveries;
    expect(a).toMatchObject({ callId: 'call_a', endedAt: Date.parse(endedAt) });
    expect(b).toEqual({ callId: 'call_b', receivedAt: expect.any(Number) });
    expect(c).toEqual({ receivedAt: expect.any(Number) });
    expect(a!.receivedAt).toBeGreaterThanOrEqual(before);
    expect(c!.receivedAt).toBeGreaterThanOrEqual(a!.receivedAt);
  });
});
