import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { type ActionServices } from '../actions/action-type.js';
import { SmtpMailer, type Mailer } from './mail/mailer.js';
import {
  GuardedHttpClient,
  type OutboundRequest,
  type OutboundResponse,
} from './http/guarded-http-client.js';
import { SmsService } from './sms/sms-service.js';
import { TwilioProvider } from './sms/twilio-provider.js';
import { HttpSmsProvider } from './sms/http-sms-provider.js';
import type { CrmAdapter } from './crm/crm-adapter.js';
import { HubspotAdapter } from './crm/hubspot-adapter.js';
import { SalesforceAdapter } from './crm/salesforce-adapter.js';
import { ActionError } from '../errors.js';

/** The client integrations use; `GuardedHttpClient` in production. */
export interface IntegrationHttp {
  request(input: OutboundRequest): Promise<OutboundResponse | Omit<OutboundResponse, 'bytes' | 'url'>>;
}

/** Services the integration actions read from `ActionServices` (pass to `ActionEngine({ services })`). */
export interface IntegrationServices {
  http: GuardedHttpClient;
  mailer: Mailer;
  sms: SmsService;
  crm: Record<string, CrmAdapter>;
  /** Base URL of links to calls (api.public_url, or the API's own address). */
  publicUrl: string;
}

export function publicBaseUrl(config: Config): string {
  const url =
    config.api.public_url ||
    `http://${config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host}:${config.api.port}`;
  return url.replace(/\/+$/, '');
}

/** Builds the integration services from config; everything outbound shares one guarded HTTP client. */
export function createIntegrationServices(
  config: Config,
  deps: { store: Store; mailer?: Mailer; http?: GuardedHttpClient },
): IntegrationServices {
  const http = deps.http ?? new GuardedHttpClient(config.http);
  const providers = [new TwilioProvider(config.sms.twilio, http), new HttpSmsProvider(config.sms.http, http)];
  return {
    http,
    mailer: deps.mailer ?? new SmtpMailer(config.mail),
    sms: new SmsService(deps.store, providers, config.sms.default_provider),
    crm: {
      hubspot: new HubspotAdapter(config.crm.hubspot, http),
      salesforce: new SalesforceAdapter(config.crm.salesforce, http),
    },
    publicUrl: publicBaseUrl(config),
  };
}

function missing(name: string): ActionError {
  return new ActionError('UNAVAILABLE', `the ${name} service is not configured on this server`, false);
}

export function httpOf(services: ActionServices): IntegrationHttp {
  const http = services.http as IntegrationHttp | undefined;
  if (!http) throw missing('http');
  return http;
}

export function smsOf(services: ActionServices): SmsService {
  const sms = services.sms;
  if (!(sms instanceof SmsService)) throw missing('sms');
  return sms;
}

export function mailerOf(services: ActionServices): Mailer {
  const mailer = services.mailer;
  if (!mailer) throw missing('mailer');
  if (!mailer.enabled) {
    throw new ActionError('UNAVAILABLE', 'email is not configured: set mail.from and mail.smtp.host', false);
  }
  return mailer;
}

export function crmOf(services: ActionServices, name: string): CrmAdapter {
  const adapters = (services.crm ?? {}) as Record<string, CrmAdapter>;
  const adapter = adapters[name];
  if (!adapter) throw missing(`crm.${name}`);
  return adapter;
}

export function publicUrlOf(services: ActionServices): string {
  return typeof services.publicUrl === 'string' ? services.publicUrl : '';
}
