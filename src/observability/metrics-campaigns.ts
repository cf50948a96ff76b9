import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CampaignHooks, CampaignSource } from './metrics-hooks.js';

/** Outcomes an attempt ends with (docs/campaigns.md), plus `released`: always exported, at zero until one happens. */
const ATTEMPT_OUTCOMES = ['answered', 'busy', 'no-answer', 'machine', 'failed', 'released'];
const CAMPAIGN_STATUSES = ['running', 'paused', 'cancelled', 'completed'];
/** A due contact's wait for a place: none at all up to the hours a long list at a low rate takes. */
const SLOT_WAIT_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The campaign families (docs/metrics.md): counters and the wait histogram fed by the runner's hooks,
 * gauges read from the store and the runner at scrape time. Labels stay bounded: outcomes, statuses,
 * limits, configured trunk names, and campaign names only for campaigns not finished.
 */
export function campaignMetrics(registry: Registry, source: () => CampaignSource | undefined): CampaignHooks {
  const registers = [registry];
  const started = new Counter({
    name: 'callwright_campaign_attempts_started_total',
    help: 'Campaign attempts claimed and handed to the call manager',
    registers,
  });
  const finished = new Counter({
    name: 'callwright_campaign_attempts_finished_total',
    help: 'Campaign attempts ended, by outcome (answered, busy, no-answer, machine, failed; released = refused before dialling, claim given back)',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of ATTEMPT_OUTCOMES) finished.inc({ outcome }, 0);
  const slotWait = new Histogram({
    name: 'callwright_campaign_slot_wait_seconds',
    help: 'From when a campaign contact was due to its claim, by the limit that last held it (none, campaign-concurrency, campaign-rate, trunk-concurrency, trunk-rate, server)',
    labelNames: ['held_by'],
    buckets: SLOT_WAIT_BUCKETS_S,
    registers,
  });

  const contacts: Gauge<'campaign' | 'status'> = new Gauge({
    name: 'callwright_campaign_contacts',
    help: 'Contacts of the campaigns not finished (running, paused), by campaign name and contact status',
    labelNames: ['campaign', 'status'],
    registers,
    collect: async () => {
      const rows = await read(source, (s) => s.contactsByStatus());
      contacts.reset();
      for (const r of rows ?? []) contacts.set({ campaign: r.campaign, status: r.status }, r.n);
    },
  });
  const campaigns: Gauge<'status'> = new Gauge({
    name: 'callwright_campaigns',
    help: 'Campaigns by status (running, paused, cancelled, completed)',
    labelNames: ['status'],
    registers,
    collect: async () => {
      const n = await read(source, (s) => s.campaignsByStatus());
      if (!n) return;
      for (const status of new Set([...CAMPAIGN_STATUSES, ...Object.keys(n)]))
        campaigns.set({ status }, n[status] ?? 0);
    },
  });
  const inFlight: Gauge<'trunk'> = new Gauge({
    name: 'callwright_campaign_calls_in_flight',
    help: 'Campaign calls in progress on this server, from the claim to the end, by trunk (none: a SIP URI without one)',
    labelNames: ['trunk'],
    registers,
    collect: async () => {
      inFlight.reset();
      for (const [trunk, n] of Object.entries((await read(source, (s) => s.inFlightByTrunk())) ?? {}))
        inFlight.set({ trunk }, n);
    },
  });

  return {
    attemptStarted: () => started.inc(),
    attemptFinished: (outcome) => finished.inc({ outcome }),
    slotWait: (waitMs, heldBy) => slotWait.observe({ held_by: heldBy }, Math.max(0, waitMs) / 1000),
  };
}

/** A failing source (the store closing under a scrape) leaves the gauge unset, not the scrape failed. */
async function read<T>(
  source: () => CampaignSource | undefined,
  get: (s: CampaignSource) => T | Promise<T>,
): Promise<T | undefined> {
  try {
    const s = source();
    return s ? await get(s) : undefined;
  } catch {
    return undefined;
  }
}
