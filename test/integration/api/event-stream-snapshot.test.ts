/**
 * An event stream over a real HTTP connection holds the changes that arrive while its snapshot is read
 * (the read awaits the store) and sends them after the snapshot, never before it; ending the stream
 * then still sends its `closing` event.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { EventStreams, type EventStream } from '../../../src/api/live/event-stream.js';

let app: FastifyInstance;
let base = '';
/** Each test's route body: what the stream sends after it opens and starts holding. */
let script: (stream: EventStream) => Promise<void>;

beforeEach(async () => {
  app = Fastify();
  const streams = new EventStreams(60_000);
  app.get('/stream', async (req, reply) => {
    const stream = streams.open(req, reply);
    stream.holdUntilSnapshot();
    await script(stream);
    stream.close();
  });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
});
afterEach(async () => {
  await app.close();
});

/** The named events of a whole stream, in order, with their data. */
async function eventsOf(): Promise<Array<[string, unknown]>> {
  const res = await fetch(base + '/stream', { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [event, data] = block.split('\n');
      return [event!.slice('event: '.length), JSON.parse(data!.slice('data: '.length)) as unknown];
    });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

it('sends the changes written while the snapshot was read after the snapshot, in their order', async () => {
  script = async (stream) => {
    stream.sendRaw('call', JSON.stringify({ change: 'state', n: 1 }));
    await tick();
    stream.send('call', { change: 'ended', n: 2 });
    stream.sendSnapshot({ calls: ['read after both'] });
    stream.send('call', { change: 'started', n: 3 });
  };
  expect(await eventsOf()).toEqual([
    ['snapshot', { calls: ['read after both'] }],
    ['call', { change: 'state', n: 1 }],
    ['call', { change: 'ended', n: 2 }],
    ['call', { change: 'started', n: 3 }],
  ]);
});

it('ends a stream still waiting for its snapshot with a closing event and nothing held', async () => {
  script = async (stream) => {
    stream.send('call', { change: 'state' });
    stream.end('snapshot failed');
  };
  expect(await eventsOf()).toEqual([['closing', { reason: 'snapshot failed' }]]);
});
