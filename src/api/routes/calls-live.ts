import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { EventStreams, type EventStream } from '../live/event-stream.js';
import { requireCaller } from '../auth.js';
import { LiveCalls } from '../live/live-calls.js';
import { errorResponses, IdParams } from '../schemas/common.js';

declare module '../app.js' {
  interface ApiDeps {
    /** Heartbeat interval of the live streams, ms (default 15 s; tests shorten it). */
    liveHeartbeatMs?: number;
  }
}

/** Events and their rows are capped in a snapshot; the rest is a page away (GET /calls/{id}/events). */
const SNAPSHOT_LIMIT = 500;

const StreamResponse = {
  200: Type.String({
    description:
      'text/event-stream: `snapshot` first, then updates as they are written, a `: heartbeat` comment ' +
      'every 15 s, and `closing` when the server stops',
  }),
  ...errorResponses,
};

/** Reads and sends a stream's snapshot; the response is already a stream, so a failure ends it. */
async function snapshot(
  req: FastifyRequest,
  stream: EventStream,
  read: () => Promise<unknown>,
): Promise<void> {
  try {
    stream.sendSnapshot(await read());
  } catch (err) {
    req.log.warn({ err }, 'live snapshot failed');
    stream.end('snapshot failed');
  }
}

/**
 * Live views over Server-Sent Events (EventSource sends the session cookie): the calls in progress and
 * one call's history as they change. Updates come from the store's change feed, published right after
 * each write; a stream subscribes before it reads its snapshot and holds the updates back until the
 * snapshot is sent, so nothing falls between the two.
 */
export async function callLiveRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  // Checked again at each heartbeat: a key revoked or a session signed out ends its streams.
  const streams = new EventStreams(deps.liveHeartbeatMs, async (req) => {
    try {
      await requireCaller(req, store);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : 'unauthorized';
    }
  });
  const live = new LiveCalls(store.feed);
  app.addHook('preClose', async () => streams.closeAll('server stopping'));

  app.get(
    '/calls/live',
    {
      schema: {
        tags: ['calls'],
        summary: 'Calls in progress, live (Server-Sent Events)',
        description:
          '`snapshot` {calls}: the calls not ended, newest first. Then `call` {change, call} for each ' +
          'write to a call: change is started, state, answered, ended or updated; call is the whole row.',
        response: StreamResponse,
      },
    },
    async (req, reply) => {
      const stream = streams.open(req, reply);
      stream.holdUntilSnapshot();
      live.followAll(stream);
      await snapshot(req, stream, async () => ({ calls: await store.calls.live(SNAPSHOT_LIMIT) }));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/calls/:id/live',
    {
      schema: {
        tags: ['calls'],
        summary: "One call's history, live (Server-Sent Events)",
        description:
          '`snapshot` {call, events, events_total, runs}: the row, its first 500 events in order and its ' +
          'latest 500 action runs. Then `call` {change, call}, `event` (a new or amended event, by id) ' +
          'and `run` (an action run as now stored, by id) as they are written.',
        params: IdParams,
        response: StreamResponse,
      },
    },
    async (req, reply) => {
      const { id } = await store.calls.require(req.params.id);
      const stream = streams.open(req, reply);
      stream.holdUntilSnapshot();
      live.followCall(id, stream);
      await snapshot(req, stream, async () => {
        // Read after subscribing, so the row is at least as new as anything held back.
        const call = await store.calls.require(id);
        const events = await store.callEvents.list(id, { limit: SNAPSHOT_LIMIT });
        const runs = await deps.actionEngine.history.list({ callId: id, limit: SNAPSHOT_LIMIT });
        return { call, events: events.items, events_total: events.total, runs: runs.items };
      });
    },
  );
}
