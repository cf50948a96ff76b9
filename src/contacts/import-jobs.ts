import { Readable } from 'node:stream';
import { CallwrightError, type FieldIssue } from '../errors.js';
import { newId, nowIso } from '../store/ids.js';
import type { Store } from '../store/store.js';
import { csvHeaderBytes, importContactsCsv, type ImportSummary, type PhoneOptions } from './csv-import.js';

/** One CSV import the API started: its progress while it runs, its summary (or error) once done. */
export interface ImportJob {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  /** Data rows read so far (the header is not counted). */
  rows: number;
  /** Bytes of the data rows read so far, and in all: `bytes / total_bytes` is the progress. */
  bytes: number;
  total_bytes: number;
  started_at: string;
  finished_at: string | null;
  /** Once succeeded: the counts and each rejected row with its line and issues, as the CLI prints them. */
  summary: ImportSummary | null;
  /** Once failed (the file cannot be read as CSV, or its header is wrong): what and where. */
  error: { code: string; message: string; issues: FieldIssue[] } | null;
}

/** Chunks handed to the parser at a time; the event loop runs between them, so requests are served. */
const CHUNK_BYTES = 16 * 1024;
/** Finished jobs kept for reading back; the oldest go first. */
const KEEP_FINISHED = 50;

async function* chunked(csv: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < csv.length; at += CHUNK_BYTES) {
    yield csv.subarray(at, at + CHUNK_BYTES);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * CSV imports run in the background of the API process, one job per upload, with the same importer as
 * the CLI. Jobs live in memory: a restart forgets them (the rows already written stay written).
 */
export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();

  constructor(private readonly store: Store) {}

  start(csv: Buffer, phone: PhoneOptions): ImportJob {
    const skip = csvHeaderBytes(csv);
    const job: ImportJob = {
      id: newId('imp'),
      status: 'running',
      rows: 0,
      bytes: 0,
      total_bytes: Math.max(csv.length - skip, 0),
      started_at: nowIso(),
      finished_at: null,
      summary: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    void importContactsCsv(this.store, Readable.from(chunked(csv)), {
      ...phone,
      onProgress: (p) => {
        job.rows = p.rows;
        job.bytes = Math.min(Math.max(p.bytes - skip, 0), job.total_bytes);
      },
    }).then(
      (summary) => this.finish(job, { status: 'succeeded', summary, bytes: job.total_bytes }),
      (err: unknown) => {
        const e =
          err instanceof CallwrightError ? err : new CallwrightError('INTERNAL', (err as Error).message);
        this.finish(job, { status: 'failed', error: { code: e.code, message: e.message, issues: e.issues } });
      },
    );
    return job;
  }

  get(id: string): ImportJob | undefined {
    return this.jobs.get(id);
  }

  private finish(job: ImportJob, end: Partial<ImportJob>): void {
    Object.assign(job, end, { finished_at: nowIso() });
    const finished = [...this.jobs.values()].filter((j) => j.status !== 'running');
    for (const old of finished.slice(0, Math.max(finished.length - KEEP_FINISHED, 0)))
      this.jobs.delete(old.id);
  }
}
