/**
 * GET /calls/:id/recording over a real API, store and local recording folder: the admin key or a
 * signed link (HMAC, expiring) and nothing else; a clear 404 when a call has no recording.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../src/api/app.js';
import { RecordingLinks } from '../../../src/calls/recording/recording-links.js';
import { LocalRecordingStorage } from '../../../src/calls/recording/recording-storage.js';
import { testActionEngine } from '../../helpers/action-engine.js';
import { tempStore, testConfig } from '../../helpers/temp.js';

let app: FastifyInstance;
let t: ReturnType<typeof tempStore>;
let token: string;
let clock = Date.parse('2026-03-01T10:00:00Z');
let links: RecordingLinks;
let recorded: string;
let notRecorded: string;
let deleted: string;
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40), Buffer.from([1, 2, 3, 4])]);

beforeAll(async () => {
  t = tempStore();
  const config = testConfig(t.dir);
  const dir = path.join(t.dir, 'recordings');
  mkdirSync(path.join(dir, 'recordings'), { recursive: true });
  links = new RecordingLinks(Buffer.from('k'.repeat(32)), 'http://api.example.com/', 3600, () => clock);
  app = await buildApi({
    store: t.store,
    config,
    actionEngine: testActionEngine(t.store, config),
    recording: { storage: new LocalRecordingStorage(dir), links },
  });
  token = (await t.store.apiKeys.create('test')).token;
  const call = async (status: string | null, file: string | null): Promise<string> =>
    (
      await t.store.calls.create({
        direction: 'inbound',
        from_number: '+14155550100',
        to_number: '+14155550199',
        state: 'ended',
        started_at: '2026-03-01T09:00:00.000Z',
        recording_status: status,
        recording_path: file,
      } as never)
    ).id;
  const file = path.join(dir, 'recordings', 'a.wav');
  writeFileSync(file, WAV);
  recorded = await call('ready', file);
  notRecorded = await call(null, null);
  deleted = await call('deleted', null);
});

afterAll(async () => {
  await app?.close();
  await t?.store.close();
  await t?.cleanup();
});

const get = (url: string, key?: string) =>
  app.inject({ method: 'GET', url, ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}) });

/** The path and query of a signed link (the API is reached here without its public host). */
const local = (url: string): string => url.replace('http://api.example.com', '');

describe('call recording link', () => {
  it('is refused without a key (401) and served with the admin key', async () => {
    const anonymous = await get(`/calls/${recorded}/recording`);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const res = await get(`/calls/${recorded}/recording`, token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.rawPayload.equals(WAV)).toBe(true);
  });

  it('a signed link works without a key until it expires', async () => {
    const link = links.signed(recorded);
    expect(link.url).toMatch(
      new RegExp(`^http://api\\.example\\.com/calls/${recorded}/recording\\?expires=\\d+&sig=`),
    );
    const ok = await get(local(link.url));
    expect(ok.statusCode).toBe(200);
    expect(ok.rawPayload.equals(WAV)).toBe(true);
    clock += 3601_000;
    const expired = await get(local(link.url));
    expect(expired.statusCode).toBe(401);
    expect(expired.json().message).toContain('expired');
  });

  it('a signed link for one call does not open another, and a changed signature is refused', async () => {
    const link = links.signed(recorded);
    const other = local(link.url).replace(recorded, notRecorded);
    expect((await get(other)).statusCode).toBe(401);
    const tampered = local(link.url).replace(/sig=(.)/, (_, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    const res = await get(tampered);
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toContain('signature');
  });

  it('answers 404 naming why a call has no recording', async () => {
    const none = await get(`/calls/${notRecorded}/recording`, token);
    expect(none.statusCode).toBe(404);
    expect(none.json().message).toBe(`call ${notRecorded} has no recording: it was not recorded`);
    const gone = await get(`/calls/${deleted}/recording`, token);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().message).toContain('deleted by the retention policy');
    expect((await get('/calls/call_nope/recording', token)).statusCode).toBe(404);
  });
});
