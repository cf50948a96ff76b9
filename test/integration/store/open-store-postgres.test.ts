import { afterEach, describe, expect, it } from 'vitest';
import { CallwrightError } from '../../../src/errors.js';
import { openStore } from '../../../src/store/open-store.js';
import { testPostgresUrl } from '../../helpers/postgres.js';
import { tempDir, testConfig } from '../../helpers/temp.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function config(postgresUrl: string) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return testConfig(t.dir, { data: { postgres_url: postgresUrl } });
}

async function failure(url: string): Promise<CallwrightError> {
  const err = await openStore(config(url)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CallwrightError);
  return err as CallwrightError;
}

describe('openStore with data.postgres_url', () => {
  it('names the field and the address of a server that does not answer, hiding the password', async () => {
    const err = await failure('postgres://cw:s3cret@127.0.0.1:63498/callwright');
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe(
      'cannot connect to PostgreSQL at postgres://cw:***@127.0.0.1:63498/callwright (data.postgres_url): ' +
        'connection refused (is PostgreSQL running and listening there?)',
    );
    expect(err.issues).toEqual([
      expect.objectContaining({
        field: 'data.postgres_url',
        value: 'postgres://cw:***@127.0.0.1:63498/callwright',
      }),
    ]);
    expect(JSON.stringify(err)).not.toContain('s3cret');
  });

  it('says which database is missing', async () => {
    const url = new URL(testPostgresUrl());
    url.pathname = '/not_created';
    const err = await failure(url.toString());
    expect(err.message).toMatch(/\(data\.postgres_url\): database "not_created" does not exist/);
  });
});
