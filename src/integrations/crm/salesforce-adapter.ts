import {
  CrmApi,
  notConfigured,
  type CrmActivity,
  type CrmAdapter,
  type CrmLogResult,
} from './crm-adapter.js';
import type { HttpClient } from '../http/http-client.js';

export interface SalesforceSettings {
  instance_url: string;
  token: string;
  api_version: string;
}

/** SOQL string literal: backslash and quote escaped (SOQL reference, "Quoted String Escape Sequences"). */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Salesforce REST: finds the Contact by phone with a SOQL query (GET /services/data/vXX.X/query),
 * creates it when asked (Contact needs LastName), updates Contact fields (PATCH
 * /sobjects/Contact/{id}) and logs the call as a completed Task (POST /sobjects/Task) whose WhoId is
 * the contact.
 */
export class SalesforceAdapter implements CrmAdapter {
  private readonly api: CrmApi;
  readonly name = 'salesforce';

  constructor(
    private readonly settings: SalesforceSettings,
    http: HttpClient,
  ) {
    this.api = new CrmApi(
      http,
      'Salesforce',
      (path) => this.url(path),
      () => this.settings.token,
    );
  }

  get configured(): boolean {
    return Boolean(this.settings.instance_url && this.settings.token);
  }

  private url(path: string): string {
    return `${this.settings.instance_url.replace(/\/+$/, '')}/services/data/${this.settings.api_version}${path}`;
  }

  async log(a: CrmActivity, signal?: AbortSignal): Promise<CrmLogResult> {
    if (!this.configured)
      throw notConfigured('Salesforce', 'crm.salesforce.instance_url and crm.salesforce.token');
    let contactId = await this.findContact(a.phone, signal);
    if (!contactId && a.createContact && a.phone) {
      const created = await this.api.call(
        'POST',
        '/sobjects/Contact',
        {
          LastName: a.lastName || a.phone,
          ...(a.firstName ? { FirstName: a.firstName } : {}),
          ...(a.email ? { Email: a.email } : {}),
          Phone: a.phone,
        },
        signal,
      );
      contactId = String((created.json as { id?: unknown }).id ?? '') || null;
    }
    if (contactId && Object.keys(a.contactFields).length) {
      await this.api.call(
        'PATCH',
        `/sobjects/Contact/${encodeURIComponent(contactId)}`,
        a.contactFields,
        signal,
      );
    }
    const task = await this.api.call(
      'POST',
      '/sobjects/Task',
      {
        Subject: a.subject.slice(0, 255),
        Description: a.body.slice(0, 32000),
        Status: 'Completed',
        TaskSubtype: 'Call',
        ActivityDate: a.timestamp.slice(0, 10),
        CallType: a.direction === 'inbound' ? 'Inbound' : 'Outbound',
        ...(a.durationSeconds !== undefined ? { CallDurationInSeconds: a.durationSeconds } : {}),
        ...(a.disposition ? { CallDisposition: a.disposition.slice(0, 255) } : {}),
        ...(contactId ? { WhoId: contactId } : {}),
      },
      signal,
    );
    return { contactId, recordId: String((task.json as { id?: unknown } | undefined)?.id ?? '') };
  }

  private async findContact(phone: string, signal?: AbortSignal): Promise<string | null> {
    if (!phone) return null;
    const q = `SELECT Id FROM Contact WHERE Phone = ${soqlString(phone)} OR MobilePhone = ${soqlString(phone)} LIMIT 1`;
    const res = await this.api.call('GET', `/query?q=${encodeURIComponent(q)}`, undefined, signal);
    const records = (res.json as { records?: Array<{ Id?: unknown }> } | undefined)?.records ?? [];
    return records[0]?.Id === undefined ? null : String(records[0].Id);
  }
}
