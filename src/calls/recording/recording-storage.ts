import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CallwrightError } from '../../errors.js';
import type { RecordingSettings } from './recording-config.js';

/** A stored recording opened for reading. */
export interface StoredRecording {
  body: Readable;
  size: number | undefined;
}

/**
 * Where finished recordings are kept. A location is what `calls.recording_path` holds: an absolute
 * path for the local folder, `s3://bucket/key` for a bucket. Each method takes any location, so
 * recordings stored before a storage change can still be read and deleted.
 */
export interface RecordingStorage {
  readonly kind: 'local' | 's3';
  /** Stores the finished file under `key` and returns its location; the temp file is left to the caller. */
  put(file: string, key: string): Promise<string>;
  /** Undefined when nothing is stored there any more. */
  open(location: string): Promise<StoredRecording | undefined>;
  /** Deletes it; a location already gone counts as deleted. */
  delete(location: string): Promise<void>;
}

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

/** Renders `recording.key_template` for one call (date parts in UTC, from when the call started). */
export function recordingKey(
  template: string,
  call: { id: string; agent_id: string | null; direction: string; started_at: string },
): string {
  const at = new Date(call.started_at);
  const two = (n: number): string => String(n).padStart(2, '0');
  const values: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()),
    mm: two(at.getUTCMonth() + 1),
    dd: two(at.getUTCDate()),
    hh: two(at.getUTCHours()),
    call_id: call.id,
    agent_id: call.agent_id ?? 'none',
    direction: call.direction,
  };
  return template
    .replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_, name: string) => values[name] ?? '')
    .replace(/^\/+/, '');
}

export class LocalRecordingStorage implements RecordingStorage {
  readonly kind = 'local';

  constructor(private readonly dir: string) {}

  async put(file: string, key: string): Promise<string> {
    const target = path.resolve(this.dir, key);
    const rel = path.relative(path.resolve(this.dir), target);
    if (rel.startsWith('..') || path.isAbsolute(rel))
      throw new CallwrightError(
        'VALIDATION',
        `recording key ${JSON.stringify(key)} leaves recording.local_dir`,
      );
    await mkdir(path.dirname(target), { recursive: true });
    // A copy, not a rename, when the temp file is on another device (rename fails with EXDEV).
    await rename(file, target).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EXDEV') throw err;
      await copyFile(file, target);
    });
    return target;
  }

  async open(location: string): Promise<StoredRecording | undefined> {
    if (S3_URI.test(location)) return undefined;
    const info = await stat(location).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { body: createReadStream(location), size: info.size };
  }

  async delete(location: string): Promise<void> {
    if (S3_URI.test(location)) return;
    await rm(location, { force: true });
  }
}

export class S3RecordingStorage implements RecordingStorage {
  readonly kind = 's3';
  private readonly client: S3Client;

  constructor(
    private readonly settings: RecordingSettings['s3'],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const { access_key_id_env: idVar, secret_access_key_env: secretVar } = settings;
    const accessKeyId = idVar ? env[idVar] : undefined;
    const secretAccessKey = secretVar ? env[secretVar] : undefined;
    if (idVar && (!accessKeyId || !secretAccessKey))
      throw new CallwrightError(
        'CONFIG_INVALID',
        `recording.s3: the environment variables ${idVar} and ${secretVar} must hold the access key id and secret`,
        [
          {
            field: 'recording.s3.access_key_id_env',
            value: idVar,
            expected: 'the name of a set environment variable',
          },
        ],
      );
    this.client = new S3Client({
      region: settings.region,
      forcePathStyle: settings.force_path_style,
      // Checksums only where S3 requires them: a streamed upload with a default checksum is sent
      // aws-chunked, which several S3-compatible stores do not decode (they store the chunk framing).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    });
  }

  async put(file: string, key: string): Promise<string> {
    const info = await stat(file);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: info.size,
        ContentType: 'audio/wav',
      }),
    );
    return `s3://${this.settings.bucket}/${key}`;
  }

  async open(location: string): Promise<StoredRecording | undefined> {
    const m = S3_URI.exec(location);
    if (!m) return undefined;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
      if (!res.Body) return undefined;
      return { body: res.Body as Readable, size: res.ContentLength };
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async delete(location: string): Promise<void> {
    const m = S3_URI.exec(location);
    if (!m) return;
    // S3 answers a delete of a missing key with 204 as well.
    await this.client.send(new DeleteObjectCommand({ Bucket: m[1], Key: m[2] }));
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * The configured storage; reads and deletes also reach the other kind (a local file of a recording made
 * before the switch to S3 is still served and swept).
 */
export class RecordingStore implements RecordingStorage {
  readonly kind: 'local' | 's3';
  private readonly local: LocalRecordingStorage;
  private readonly s3: S3RecordingStorage | undefined;

  constructor(settings: RecordingSettings, dir: string, env: NodeJS.ProcessEnv = process.env) {
    this.kind = settings.storage;
    this.local = new LocalRecordingStorage(dir);
    this.s3 =
      settings.storage === 's3' || settings.s3.bucket ? new S3RecordingStorage(settings.s3, env) : undefined;
  }

  put(file: string, key: string): Promise<string> {
    if (this.kind === 's3' && this.s3) return this.s3.put(file, key);
    return this.local.put(file, key);
  }

  async open(location: string): Promise<StoredRecording | undefined> {
    if (S3_URI.test(location)) return this.s3?.open(location);
    return this.local.open(location);
  }

  async delete(location: string): Promise<void> {
    if (S3_URI.test(location)) {
      if (!this.s3) throw new Error(`cannot delete ${location}: recording.s3 is not configured`);
      return this.s3.delete(location);
    }
    return this.local.delete(location);
  }

  close(): void {
    this.s3?.close();
  }
}
