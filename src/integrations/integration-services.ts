import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { SmtpMailer, type Mailer } from './mail/mailer.js';
import { GuardedHttpClient } from './http/guarded-http-client.js';
import type { IntegrationHttp } from './http/http-client.js';
import type { Tracing } from '../observability/tracing.js';
import { SmsService } from './sms/sms-service.js';
import { TwilioProvider } from './sms/twilio-provider.js';
import { HttpSmsProvider } from './sms/http-sms-provider.js';
import type { CrmAdapter } from './crm/crm-adapter.js';
import { HubspotAdapter } from './crm/hubspot-adapter.js';
import { SalesforceAdapter } from './crm/salesforce-adapter.js';
import { ActionError } from '../errors.js';

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
  deps: { store: Store; mailer?: Mailer; http?: GuardedHttpClient; tracing?: Tracing },
): IntegrationServices {
  const http = deps.http ?? new GuardedHttpClient(config.http, undefined, deps.tracing);
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

/*
 * Typed accessors: each returns the composed service or throws a clear UNAVAILABLE error naming it.
 * They take the plain typed fields (not the action services), so integrations need nothing from actions.
 */

export function httpOf(services: { http?: IntegrationHttp }): IntegrationHttp {
  if (!services.http) throw missing('http');
  return services.http;
}

export function smsOf(services: { sms?: SmsService }): SmsService {
  if (!services.sms) throw missing('sms');
  return services.sms;
}

export function mailerOf(services: { mailer?: Mailer }): Mailer {
  const { mailer } = services;
  if (!mailer) throw missing('mailer');
  if (!mailer.enabled) {
    throw new ActionError('UNAVAILABLE', 'email is not configured: set mail.from and mail.smtp.host', false);
  }
  return mailer;
}

export function crmOf(services: { crm?: Readonly<Record<string, CrmAdapter>> }, name: string): CrmAdapter {
  const adapter = services.crm?.[name];
  if (!adapter) throw missing(`crm.${name}`);
  return adapter;
}
