import { isSuccess, parseJsonBody, retryableStatus } from '../http/http-status.js';
import { ActionError } from '../../errors.js';
import type { HttpClient } from '../http/http-client.js';

/** One call as a CRM activity: who, when, what was said and decided, and contact fields to update. */
export interface CrmActivity {
  /** The other party's number (E.164), used to find the CRM contact. */
  phone: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  subject: string;
  /** The note/description text: summary, collected fields, dispositions, transcript. */
  body: string;
  /** ISO time the call started. */
  timestamp: string;
  direction: 'inbound' | 'outbound';
  durationSeconds?: number;
  disposition?: string | null;
  /** CRM contact fields (HubSpot properties, Salesforce Contact fields) to set. */
  contactFields: Record<string, string>;
  /** Create the contact when no record has this number. */
  createContact: boolean;
}

export interface CrmLogResult {
  /** The CRM's contact id, when one was found or created. */
  contactId: string | null;
  /** The id of the note/task written. */
  recordId: string;
}

export interface CrmAdapter {
  readonly name: string;
  readonly configured: boolean;
  log(activity: CrmActivity, signal?: AbortSignal): Promise<CrmLogResult>;
}

/** JSON calls to one CRM's REST API with a bearer token; errors carry the API's own message and retry by status. */
export class CrmApi {
  constructor(
    private readonly http: HttpClient,
    private readonly crm: string,
    private readonly url: (path: string) => string,
    private readonly token: () => string,
  ) {}

  async call(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<{ status: number; json: unknown }> {
    const url = this.url(path);
    const res = await this.http.request({
      method,
      url,
      headers: {
        authorization: `Bearer ${this.token()}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
    });
    const json = parseJsonBody(res.body);
    if (isSuccess(res.status)) return { status: res.status, json };
    throw new ActionError(
      'CRM_ERROR',
      `${this.crm} ${method} ${new URL(url).pathname} answered ${res.status}: ${apiMessage(json) ?? res.body.slice(0, 200)}`,
      retryableStatus(res.status),
      { crm: this.crm, status: res.status },
    );
  }
}

/** HubSpot: `{message}`; Salesforce: `[{message, errorCode}]`. */
function apiMessage(json: unknown): string | undefined {
  const first = Array.isArray(json) ? (json[0] as unknown) : json;
  if (first && typeof first === 'object') {
    const o = first as Record<string, unknown>;
    if (typeof o.message === 'string')
      return o.errorCode ? `${String(o.errorCode)}: ${o.message}` : o.message;
  }
  return undefined;
}

export function notConfigured(crm: string, keys: string): ActionError {
  return new ActionError('CRM_NOT_CONFIGURED', `${crm} is not configured: set ${keys}`, false);
}
