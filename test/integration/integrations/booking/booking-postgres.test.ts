/**
 * Two nodes sharing one PostgreSQL database book the same slot at once. Both check for an overlap
 * before either writes (the check is held open until both have run it), so only the appointments
 * table's exclusion constraint can refuse the second booking: it must come back as the same CONFLICT
 * the check gives, and exactly one appointment must be stored.
 *
 * Needs the run's PostgreSQL server (test/helpers/postgres.ts, started by the global setup in
 * vitest.config.ts); without one the test fails with the reason, it is never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../../src/store/store.js';
import { BookingService } from '../../../../src/integrations/booking/booking-service.js';
import { DEFAULT_BOOKING_OPTIONS } from '../../../../src/integrations/booking/booking-services.js';
import type { AppointmentRepository } from '../../../../src/integrations/booking/appointment-repository.js';
import { testPostgresDatabase } from '../../../helpers/postgres.js';

const NOW = Date.parse('2026-03-09T12:00:00Z');

/** Holds every caller of `firstOverlap` until `parties` of them have run their check. */
function holdChecks(repos: AppointmentRepository[], parties: number): void {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  for (const repo of repos) {
    const check = repo.firstOverlap.bind(repo);
    repo.firstOverlap = async (...args) => {
      const found = await check(...args);
      if (++arrived === parties) release();
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 5000))]);
      return found;
    };
  }
}

let nodes: Store[] = [];
let userId: string;

beforeAll(async () => {
  const url = await testPostgresDatabase('booking');
  const first = await Store.connect({ url });
  nodes = [first, await Store.connect({ url, migrate: false })];
  userId = (
    await first.users.create({
      name: 'Dr Martin',
      timezone: 'Europe/Paris',
      working_hours: { tue: [{ start: '09:00', end: '12:00' }] },
      slot_minutes: 30,
    })
  ).id;
});
afterAll(async () => {
  for (const node of nodes) await node.close();
});

function service(store: Store): BookingService {
  return new BookingService({
    store,
    options: { ...DEFAULT_BOOKING_OPTIONS, horizon_days: 30 },
    icsDir: '',
    now: () => NOW,
  });
}

describe('booking on PostgreSQL from two nodes at once', () => {
  it.each([
    ['the same slot', '2026-03-10T08:00:00Z', '2026-03-10T08:00:00Z'],
    ['overlapping slots', '2026-03-10T09:00:00Z', '2026-03-10T09:15:00Z'],
  ])('%s: one booking succeeds, the other is a CONFLICT', async (_what, a, b) => {
    const services = nodes.map(service);
    holdChecks(
      services.map((s) => s.appointments),
      2,
    );
    const results = await Promise.allSettled([
      services[0]!.book({ user: userId, start: a }),
      services[1]!.book({ user: userId, start: b }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as Record<string, unknown>] : [],
    );
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^the slot at .* is already taken$/),
      issues: [{ field: 'start', expected: 'a free slot (check availability first)' }],
    });
    // Exactly one booked appointment over both slots.
    const end = new Date(Date.parse(a < b ? b : a) + 30 * 60_000).toISOString();
    expect(await services[0]!.appointments.bookedBetween(userId, a < b ? a : b, end)).toHaveLength(1);
  });
});
