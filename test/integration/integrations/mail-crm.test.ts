import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { decodeQuotedPrintable, startSmtp, type TestSmtp } from '../../helpers/smtp.js';
import { integrationFixture } from './integration-fixture.js';
import { verifyWebhook } from '../../../src/integrations/webhooks/standard-webhooks.js';

let rx: HttpReceiver;
let smtp: TestSmtp;
let fx: Awaited<ReturnType<typeof integrationFixture>>;
const SECRET = 'whsec_' + Buffer.from('escalation-signing-key-0123456789').toString('base64');

beforeEach(async () => {
  rx = await startHttpReceiver();
  smtp = await startSmtp();
  fx = await integrationFixture({
    mail: { from: 'callwright@example.com', smtp: { host: '127.0.0.1', port: smtp.port } },
    crm: {
      hubspot: { token: 'hs-token', base_url: `${rx.url}/hubspot` },
      salesforce: { instance_url: `${rx.url}/sf`, token: 'sf-token', api_version: 'v60.0' },
    },
  });
});
afterEach(async () => {
  await fx.cleanup();
  await rx.close();
  await smtp.close();
});

/** The MIME parts of a raw message with their headers and decoded content. */
function parts(raw: string): Array<{ headers: string; content: Buffer }> {
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(raw)?.[1];
  if (!boundary) return [];
  return raw
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => {
      const [headers = '', ...rest] = p.replace(/^\r\n/, '').split('\r\n\r\n');
      const body = rest.join('\r\n\r\n');
      const content = /content-transfer-encoding: base64/i.test(headers)
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
        : Buffer.from(decodeQuotedPrintable(body));
      return { headers, content };
    });
}

async function callWithTranscript() {
  const contact = await fx.store.contacts.create({
    phone: '+14155550100',
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: 'ada@example.com',
  });
  const call = await fx.call('+14155550100', {
    contact_id: contact.id,
    summary: 'Wants a refund',
    call_disposition: 'refund-requested',
  });
  await fx.store.callEvents.append(call.id, 'transcript', {
    speaker: 'caller',
    text: 'I want my money back',
  });
  await fx.store.callEvents.append(call.id, 'transcript', { speaker: 'agent', text: 'Let me get someone' });
  return { call, contact };
}

describe('send-email', () => {
  it('delivers templated mail with the recording, an ICS invite and a file fetched by URL', async () => {
    rx.respond(() => ({
      status: 200,
      body: '%PDF-1.4 brochure',
      headers: { 'content-type': 'application/pdf' },
    }));
    const { call, contact } = await callWithTranscript();
    const wav = path.join(fx.dir, 'rec.wav');
    writeFileSync(wav, Buffer.from('RIFF....WAVEfmt fake recording'));
    await fx.store.calls.update(call.id, { recording_path: wav });
    await fx.attach(
      'mail',
      'send-email',
      {
        to: '{{ contact.email }}',
        subject: 'Your visit, {{ contact.first_name }}',
        body: 'See you soon, {{ contact.first_name }}.',
        attachments: [
          { kind: 'recording' },
          {
            kind: 'ics',
            summary: 'Visit',
            start: '2030-03-04T15:00:00-05:00',
            end: '2030-03-04T15:30:00-05:00',
            location: 'Main St 1',
          },
          { kind: 'url', url: `${rx.url}/files/brochure.pdf` },
        ],
      },
      'after',
    );
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, contactId: contact.id });
    const ended = await fx.engine.endCall(session);
    const { worker, repository } = fx.worker();
    worker.start();
    const mail = await smtp.waitFor();
    expect(mail.to).toEqual(['ada@example.com']);
    expect(mail.raw).toMatch(/Subject: Your visit, Ada/);
    const found = parts(mail.raw);
    const byName = (n: string) => found.find((p) => p.headers.includes(n));
    expect(found.some((p) => p.content.toString().includes('See you soon, Ada.'))).toBe(true);
    expect(byName('rec.wav')?.content.toString()).toBe('RIFF....WAVEfmt fake recording');
    const ics = byName('invite.ics')!;
    expect(ics.headers).toMatch(/text\/calendar/);
    expect(ics.content.toString()).toContain('DTSTART:20300304T200000Z');
    expect(byName('brochure.pdf')?.content.toString()).toBe('%PDF-1.4 brochure');
    await new Promise<void>((r) => setTimeout(r, 50));
    expect((await repository.get(ended.queued[0]!))?.status).toBe('delivered');
  });
});

describe('escalate', () => {
  it('emails the team and POSTs a signed webhook with transcript, contact and a link to the call', async () => {
    const { call, contact } = await callWithTranscript();
    await fx.attach(
      'escalate',
      'escalate',
      { email: 'team@example.com', webhook_url: `${rx.url}/team`, secret: SECRET, priority: 'urgent' },
      'during',
      {
        triggers: [{ kind: 'tool' }],
      },
    );
    const session = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      contactId: contact.id,
      from: '+14155550100',
    });
    const result = await session.callTool('escalate', { reason: 'Caller is upset about a refund' });
    expect(result.ok).toBe(true);
    const link = `https://callwright.example.com/calls/${call.id}`;
    const mail = decodeQuotedPrintable((await smtp.waitFor()).raw);
    expect(mail).toContain('Reason: Caller is upset about a refund');
    expect(mail).toContain('Name: Ada Lovelace');
    expect(mail).toContain('Phone: +14155550100');
    expect(mail).toContain(link);
    expect(mail).toContain('caller: I want my money back');
    const hook = rx.requests.find((r) => r.url === '/team')!;
    expect(
      verifyWebhook(
        SECRET,
        {
          id: String(hook.headers['webhook-id']),
          timestamp: String(hook.headers['webhook-timestamp']),
          signature: String(hook.headers['webhook-signature']),
        },
        hook.body,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
    const body = JSON.parse(hook.body);
    expect(body).toMatchObject({
      type: 'call.escalated',
      data: { priority: 'urgent', call_url: link, contact: { first_name: 'Ada' } },
    });
    expect(body.data.transcript).toHaveLength(2);
  });

  it('needs an email or a webhook', async () => {
    await expect(async () =>
      fx.engine.definitions.create({ name: 'e', type: 'escalate', config: {} }),
    ).rejects.toThrow(/config\.email/);
  });
});

describe('crm-log', () => {
  it('HubSpot: searches the contact by phone, updates properties and logs a note associated with it', async () => {
    rx.respond((req) => {
      if (req.url === '/hubspot/crm/v3/objects/contacts/search')
        return { status: 200, body: { total: 1, results: [{ id: '501' }] } };
      if (req.url === '/hubspot/crm/v3/objects/contacts/501') return { status: 200, body: { id: '501' } };
      if (req.url === '/hubspot/crm/v3/objects/notes') return { status: 201, body: { id: '9001' } };
      return { status: 404, body: { message: 'unexpected' } };
    });
    const { call, contact } = await callWithTranscript();
    await fx.attach(
      'crm',
      'crm-log',
      {
        provider: 'hubspot',
        contact_fields: { lifecyclestage: 'customer', last_call_outcome: '{{ collected.outcome }}' },
      },
      'during',
    );
    const res = await (
      await fx.engine.session({
        agentId: fx.agent.id,
        callId: call.id,
        contactId: contact.id,
        collected: { outcome: 'refund' },
      })
    ).runStage('during');
    expect(res.runs[0]).toMatchObject({
      status: 'succeeded',
      outputs: { provider: 'hubspot', crm_contact_id: '501', crm_record_id: '9001' },
    });
    const [search, patch, note] = rx.requests;
    for (const r of [search!, patch!, note!]) expect(r.headers.authorization).toBe('Bearer hs-token');
    expect(search!.method).toBe('POST');
    expect(JSON.parse(search!.body).filterGroups[0].filters[0]).toEqual({
      propertyName: 'phone',
      operator: 'EQ',
      value: '+14155550100',
    });
    expect(patch!.method).toBe('PATCH');
    expect(JSON.parse(patch!.body)).toEqual({
      properties: { lifecyclestage: 'customer', last_call_outcome: 'refund' },
    });
    const n = JSON.parse(note!.body);
    expect(n.associations).toEqual([
      { to: { id: '501' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] },
    ]);
    expect(n.properties.hs_timestamp).toBe(call.started_at);
    expect(n.properties.hs_note_body).toContain('Summary:\nWants a refund');
    expect(n.properties.hs_note_body).toContain('Disposition: refund-requested');
    expect(n.properties.hs_note_body).toContain('- outcome: refund');
    expect(n.properties.hs_note_body).toContain('caller: I want my money back');
  });

  it('Salesforce: finds the Contact by SOQL, updates fields and creates a completed call Task', async () => {
    rx.respond((req) => {
      if (req.url.startsWith('/sf/services/data/v60.0/query'))
        return { status: 200, body: { totalSize: 1, records: [{ Id: '003XX1' }] } };
      if (req.url === '/sf/services/data/v60.0/sobjects/Contact/003XX1') return { status: 204, body: '' };
      if (req.url === '/sf/services/data/v60.0/sobjects/Task')
        return { status: 201, body: { id: '00TXX9', success: true, errors: [] } };
      return { status: 404, body: [{ message: 'unexpected', errorCode: 'NOT_FOUND' }] };
    });
    const { call, contact } = await callWithTranscript();
    await fx.store.calls.update(call.id, { duration_ms: 65_000 });
    await fx.attach(
      'crm',
      'crm-log',
      { provider: 'salesforce', subject: 'Inbound call', contact_fields: { Description: 'VIP' } },
      'during',
    );
    const res = await (
      await fx.engine.session({ agentId: fx.agent.id, callId: call.id, contactId: contact.id })
    ).runStage('during');
    expect(res.runs[0]!.outputs).toMatchObject({ crm_contact_id: '003XX1', crm_record_id: '00TXX9' });
    const [query, patch, task] = rx.requests;
    expect(query!.method).toBe('GET');
    expect(new URL(query!.url, 'http://x').searchParams.get('q')).toBe(
      "SELECT Id FROM Contact WHERE Phone = '+14155550100' OR MobilePhone = '+14155550100' LIMIT 1",
    );
    expect(patch!.method).toBe('PATCH');
    expect(JSON.parse(patch!.body)).toEqual({ Description: 'VIP' });
    expect(task!.headers.authorization).toBe('Bearer sf-token');
    expect(JSON.parse(task!.body)).toMatchObject({
      Subject: 'Inbound call',
      Status: 'Completed',
      TaskSubtype: 'Call',
      WhoId: '003XX1',
      CallType: 'Inbound',
      CallDurationInSeconds: 65,
      CallDisposition: 'refund-requested',
      ActivityDate: call.started_at.slice(0, 10),
    });
  });

  it("fails with the CRM's own error message, retryable only for 5xx", async () => {
    rx.respond(() => ({
      status: 401,
      body: {
        status: 'error',
        message: 'Authentication credentials not found.',
        category: 'INVALID_AUTHENTICATION',
      },
    }));
    await fx.attach('crm', 'crm-log', { provider: 'hubspot' }, 'during');
    const callId = (await fx.call()).id;
    const res = await (await fx.engine.session({ agentId: fx.agent.id, callId })).runStage('during');
    expect(res.runs[0]!.error).toMatchObject({ code: 'CRM_ERROR', retryable: false });
    expect(res.runs[0]!.error!.message).toContain('Authentication credentials not found.');
  });

  it('generic HTTP mapping: a JSON template that sees transcript, summary and dispositions', async () => {
    const { call, contact } = await callWithTranscript();
    await fx.attach(
      'crm',
      'crm-log',
      {
        provider: 'http',
        url: `${rx.url}/crm/activities`,
        headers: { 'X-Api-Key': 'k1' },
        body: {
          phone: '{{ call.from }}',
          who: '{{ contact.first_name }}',
          summary: '{{ summary }}',
          outcome: '{{ dispositions.call }}',
          transcript: '{{ transcript }}',
        },
      },
      'during',
    );
    const res = await (
      await fx.engine.session({
        agentId: fx.agent.id,
        callId: call.id,
        contactId: contact.id,
        from: '+14155550100',
      })
    ).runStage('during');
    expect(res.runs[0]!.status).toBe('succeeded');
    const req = rx.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['x-api-key']).toBe('k1');
    expect(JSON.parse(req.body)).toEqual({
      phone: '+14155550100',
      who: 'Ada',
      summary: 'Wants a refund',
      outcome: 'refund-requested',
      transcript: 'caller: I want my money back\nagent: Let me get someone',
    });
  });
});
