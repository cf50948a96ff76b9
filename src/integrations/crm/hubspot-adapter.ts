import {
  CrmApi,
  notConfigured,
  type CrmActivity,
  type CrmAdapter,
  type CrmLogResult,
} from './crm-adapter.js';
import type { HttpClient } from '../http/http-client.js';

export interface HubspotSettings {
  token: string;
  base_url: string;
}

/** HubSpot's defined association type "note to contact" (CRM associations v4 type ids). */
const NOTE_TO_CONTACT = 202;

/**
 * HubSpot CRM v3: finds the contact by phone (POST /crm/v3/objects/contacts/search), creates it
 * when asked, sets contact properties (PATCH /crm/v3/objects/contacts/{id}) and logs the call as a
 * note engagement associated with the contact (POST /crm/v3/objects/notes).
 */
export class HubspotAdapter implements CrmAdapter {
  private readonly api: CrmApi;
  readonly name = 'hubspot';

  constructor(
    private readonly settings: HubspotSettings,
    http: HttpClient,
  ) {
    this.api = new CrmApi(
      http,
      'HubSpot',
      (path) => this.url(path),
      () => this.settings.token,
    );
  }

  get configured(): boolean {
    return Boolean(this.settings.token);
  }

  private url(path: string): string {
    return `${this.settings.base_url.replace(/\/+$/, '')}${path}`;
  }

  async log(a: CrmActivity, signal?: AbortSignal): Promise<CrmLogResult> {
    if (!this.configured) throw notConfigured('HubSpot', 'crm.hubspot.token');
    let contactId = await this.findContact(a.phone, signal);
    if (!contactId && a.createContact) contactId = await this.createContact(a, signal);
    if (contactId && Object.keys(a.contactFields).length) {
      await this.api.call(
        'PATCH',
        `/crm/v3/objects/contacts/${encodeURIComponent(contactId)}`,
        { properties: a.contactFields },
        signal,
      );
    }
    const note = await this.api.call(
      'POST',
      '/crm/v3/objects/notes',
      {
        properties: { hs_timestamp: a.timestamp, hs_note_body: `${a.subject}\n\n${a.body}` },
        ...(contactId
          ? {
              associations: [
                {
                  to: { id: contactId },
                  types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: NOTE_TO_CONTACT }],
                },
              ],
            }
          : {}),
      },
      signal,
    );
    return { contactId, recordId: String((note.json as { id?: unknown } | undefined)?.id ?? '') };
  }

  private async findContact(phone: string, signal?: AbortSignal): Promise<string | null> {
    if (!phone) return null;
    const res = await this.api.call(
      'POST',
      '/crm/v3/objects/contacts/search',
      {
        filterGroups: [
          { filters: [{ propertyName: 'phone', operator: 'EQ', value: phone }] },
          { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: phone }] },
        ],
        properties: ['phone', 'firstname', 'lastname', 'email'],
        limit: 1,
      },
      signal,
    );
    const results = (res.json as { results?: Array<{ id?: unknown }> } | undefined)?.results ?? [];
    return results[0]?.id === undefined ? null : String(results[0].id);
  }

  private async createContact(a: CrmActivity, signal?: AbortSignal): Promise<string | null> {
    if (!a.phone) return null;
    const properties: Record<string, string> = { phone: a.phone };
    if (a.firstName) properties.firstname = a.firstName;
    if (a.lastName) properties.lastname = a.lastName;
    if (a.email) properties.email = a.email;
    const res = await this.api.call('POST', '/crm/v3/objects/contacts', { properties }, signal);
    const id = (res.json as { id?: unknown } | undefined)?.id;
    return id === undefined ? null : String(id);
  }
}
