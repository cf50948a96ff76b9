import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { plainResourceRoutes } from './resources.js';
import { contactRoutes } from './contacts.js';
import { ringGroupRoutes } from './ring-groups.js';
import { callRoutes } from './calls.js';
import { callLiveRoutes } from './calls-live.js';
import { actionEngineRoutes } from './actions.js';
import { smsWebhookRoutes } from './sms-webhooks.js';
import { callControlRoutes } from './call-control.js';
import { outboundCallRoutes } from './outbound-calls.js';
import { appointmentRoutes } from './appointments.js';
import { voicemailRoutes } from './voicemails.js';
import { callRecordingRoutes } from './call-recording.js';
import { campaignRoutes } from './campaigns.js';
import { agentPhoneRoutes } from './agent-phone.js';
import { contactImportRoutes } from './contact-imports.js';
import { statsRoutes } from './stats.js';

/** Registers every resource route group. */
export async function registerResourceRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await plainResourceRoutes(app, deps);
  await contactRoutes(app, deps);
  await ringGroupRoutes(app, deps);
  await callRoutes(app, deps);
  await callLiveRoutes(app, deps);
  await actionEngineRoutes(app, deps);
  await smsWebhookRoutes(app, deps);
  await callControlRoutes(app, deps);
  await outboundCallRoutes(app, deps);
  await appointmentRoutes(app, deps);
  await voicemailRoutes(app, deps);
  await callRecordingRoutes(app, deps);
  await campaignRoutes(app, deps);
  await agentPhoneRoutes(app, deps);
  contactImportRoutes(app, deps);
  statsRoutes(app, deps);
}
