import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => h.close());

async function upload(csv: string, query = '', type = 'text/csv'): Promise<{ status: number; body: Json }> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/contacts/imports${query}`,
    headers: { authorization: `Bearer ${h.token}`, 'content-type': type },
    payload: csv,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as Json };
}

async function finished(id: string): Promise<Json> {
  const end = Date.now() + 20_000;
  for (;;) {
    const job = (await h.call('GET', `/contacts/imports/${id}`)).body;
    if (job.status !== 'running') return job;
    if (Date.now() > end) throw new Error(`import ${id} still running: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('POST /contacts/imports', () => {
  it('imports in the background, reports progress and ends with the counts and each bad row', async () => {
    const csv = [
      'phone,first_name,email,tags,lists',
      '+14155550101,Ada,ada@example.com,vip;west,spring',
      '+14155550102,Bob,not-an-email,,',
      'nonsense,Cy,,,',
      '+14155550103,Dee,,,spring',
    ].join('\n');
    const started = await upload(csv);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: 'running', rows: 0, bytes: 0 });
    expect(started.body.total_bytes).toBe(csv.length - 'phone,first_name,email,tags,lists\n'.length);
    const job = await finished(started.body.id);
    expect(job).toMatchObject({ status: 'succeeded', rows: 4, bytes: job.total_bytes, error: null });
    expect(job.summary).toEqual({
      imported: 2,
      updated: 0,
      unchanged: 0,
      rejected: [
        { line: 3, issues: [expect.objectContaining({ field: 'email', value: 'not-an-email' })] },
        { line: 4, issues: [expect.objectContaining({ field: 'phone', value: 'nonsense' })] },
      ],
    });
    const vip = (await h.call('GET', '/contacts?tag=vip')).body.items;
    expect(vip.map((c: Json) => [c.first_name, c.lists.map((l: Json) => l.name)])).toEqual([
      ['Ada', ['spring']],
    ]);

    const again = await finished((await upload(csv)).body.id);
    expect(again.summary).toMatchObject({ imported: 0, unchanged: 2 });
  });

  it('takes a charset parameter on the content type', async () => {
    const res = await upload('phone\n+14155550130', '', 'text/csv; charset=utf-8');
    expect(res.status).toBe(202);
    expect((await finished(res.body.id)).summary).toMatchObject({ imported: 1 });
  });

  it('reads national numbers in the country given', async () => {
    const job = await finished((await upload('phone,first_name\n020 7183 8750,Gb', '?country=GB')).body.id);
    expect(job.summary).toMatchObject({ imported: 1, rejected: [] });
    const cc = await finished((await upload('phone\n020 7183 8751', '?calling_code=44')).body.id);
    expect(cc.summary).toMatchObject({ imported: 1 });
  });

  it('a file without a phone column fails as a job naming the header', async () => {
    const job = await finished((await upload('name,email\nAda,ada@example.com')).body.id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({
      code: 'VALIDATION',
      issues: [{ field: 'header', value: 'name,email', expected: 'a phone column' }],
    });
  });

  it('a file that is not well-formed CSV fails naming the line; the rows before it are written', async () => {
    const job = await finished(
      (await upload('phone,first_name\n+14155550120,Ok\n"+14155550121,Open')).body.id,
    );
    expect(job.status).toBe('failed');
    expect(job.error.message).toMatch(/^CSV cannot be read at line 3/);
    expect(job.error.issues[0]).toMatchObject({ expected: 'well-formed CSV (RFC 4180)' });
    const res = await h.call('GET', '/contacts?q=%2B14155550120');
    expect(res.body.items.map((c: Json) => c.first_name)).toEqual(['Ok']);
  });

  it('refuses a bad country or calling code, an empty body, another content type; 404 for an unknown job', async () => {
    const country = await upload('phone\n+14155550109', '?country=Britain');
    expect(country.status).toBe(400);
    expect(country.body.issues[0]).toMatchObject({ field: 'query.country', value: 'Britain' });
    const code = await upload('phone\n+14155550109', '?calling_code=0044');
    expect(code.status).toBe(400);
    expect(code.body.issues[0]).toMatchObject({ field: 'query.calling_code', value: '0044' });
    expect((await upload('')).status).toBe(400);
    const json = await upload('{"phone":"+14155550109"}', '', 'application/json');
    expect(json.status).toBe(400);
    expect((await h.call('GET', '/contacts/imports/imp_nope')).status).toBe(404);
    const anonymous = await h.app.inject({
      method: 'POST',
      url: '/contacts/imports',
      headers: { 'content-type': 'text/csv' },
      payload: 'phone\n+14155550109',
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
