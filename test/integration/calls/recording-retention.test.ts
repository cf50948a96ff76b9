/**
 * The retention sweeper over a real store, a local folder and a real S3-compatible server (s3rver):
 * recordings of calls that ended before the retention window are deleted where they are stored and
 * the call row is marked; newer ones stay.
 * Port block: 50000-50499 (s3rver 50071).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingStore } from '../../../src/calls/recording/recording-storage.js';
import { RecordingSweeper } from '../../../src/calls/recording/recording-sweeper.js';
import { createLogger } from '../../../src/logging/logger.js';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { S3RVER_KEY, startS3, type TestS3 } from '../../helpers/s3-server.js';

const NOW = Date.parse('2026-06-30T12:00:00Z');
let s3: TestS3;
let t: ReturnType<typeof tempStore>;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3(50071, 'kept');
  t = tempStore();
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
  });
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
  await t?.cleanup();
});

async function call(endedAt: string, location: string): Promise<string> {
  return (
    await t.store.calls.create({
      direction: 'inbound',
      from_number: '+14155550100',
      to_number: '+14155550199',
      state: 'ended',
      started_at: endedAt,
      ended_at: endedAt,
      recording_status: 'ready',
      recording_path: location,
    } as never)
  ).id;
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await client.send(new GetObjectCommand({ Bucket: 'kept', Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('recording retention', () => {
  it('deletes expired recordings locally and in S3, marks their calls and keeps the newer ones', async () => {
    process.env.RETENTION_TEST_ID = S3RVER_KEY;
    process.env.RETENTION_TEST_SECRET = S3RVER_KEY;
    const config = testConfig(t.dir, {
      recording: {
        storage: 's3',
        retention_days: 30,
        s3: {
          endpoint: s3.endpoint,
          bucket: 'kept',
          access_key_id_env: 'RETENTION_TEST_ID',
          secret_access_key_env: 'RETENTION_TEST_SECRET',
          force_path_style: true,
        },
      },
    });
    const dir = path.join(t.dir, 'recordings');
    const storage = new RecordingStore(config.recording, dir);
    mkdirSync(path.join(dir, 'old'), { recursive: true });
    const oldLocal = path.join(dir, 'old', 'a.wav');
    const newLocal = path.join(dir, 'old', 'b.wav');
    writeFileSync(oldLocal, 'RIFF');
    writeFileSync(newLocal, 'RIFF');
    for (const key of ['r/old.wav', 'r/new.wav'])
      await client.send(new PutObjectCommand({ Bucket: 'kept', Key: key, Body: 'RIFF' }));

    const expiredLocal = await call('2026-05-01T10:00:00.000Z', oldLocal);
    const expiredS3 = await call('2026-05-20T10:00:00.000Z', 's3://kept/r/old.wav');
    const freshLocal = await call('2026-06-29T10:00:00.000Z', newLocal);
    const freshS3 = await call('2026-06-15T10:00:00.000Z', 's3://kept/r/new.wav');

    const sweeper = new RecordingSweeper({
      store: t.store,
      storage,
      workDir: path.join(dir, 'in-progress'),
      retentionDays: 30,
      intervalMs: 60_000,
      logger: createLogger({ level: 'silent', redact_pii: true }),
      now: () => NOW,
    });
    expect(await sweeper.sweep()).toBe(2);

    expect(existsSync(oldLocal)).toBe(false);
    expect(await objectExists('r/old.wav')).toBe(false);
    expect(existsSync(newLocal)).toBe(true);
    expect(await objectExists('r/new.wav')).toBe(true);
    for (const id of [expiredLocal, expiredS3]) {
      expect(await t.store.calls.get(id)).toMatchObject({
        recording_status: 'deleted',
        recording_path: null,
        recording_deleted_at: new Date(NOW).toISOString(),
      });
      expect((await t.store.callEvents.ofType(id, 'recording-deleted')).map((e) => e.data)).toEqual([
        { reason: 'retention', retention_days: 30 },
      ]);
    }
    expect((await t.store.calls.get(freshLocal))?.recording_status).toBe('ready');
    expect((await t.store.calls.get(freshS3))?.recording_path).toBe('s3://kept/r/new.wav');
    // A second pass finds nothing more to do.
    expect(await sweeper.sweep()).toBe(0);
    storage.close();
  });
});
