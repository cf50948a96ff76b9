import { ActionRegistry } from '../registry.js';
import { addContactTags } from './add-contact-tags.js';
import { addToList } from './add-to-list.js';
import { callDisposition } from './call-disposition.js';
import { contactDisposition } from './contact-disposition.js';
import { customReply } from './custom-reply.js';
import { hangUp } from './hang-up.js';
import { removeContactTags } from './remove-contact-tags.js';
import { setDnc } from './set-dnc.js';
import { updateContactProperty } from './update-contact-property.js';
import { checkAvailability } from './check-availability.js';
import { bookAppointment } from './book-appointment.js';
import { rescheduleAppointment } from './reschedule-appointment.js';
import { cancelAppointment } from './cancel-appointment.js';
import { extractData } from './extract-data.js';
import { evaluateCall } from './evaluate-call.js';
import { summarizeCall } from './summarize-call.js';

import { httpRequest } from './http-request.js';
import { webhook } from './webhook.js';
import { sendSms } from './send-sms.js';
import { sendWhatsapp } from './send-whatsapp.js';
import { sendEmail } from './send-email.js';
import { crmLog } from './crm-log.js';
import { escalate } from './escalate.js';

/** Every action type the server offers: the engine's local types and integration types (the call layer registers its call-flow types, src/calls/flow-actions). */
const ACTION_TYPES = [
  updateContactProperty,
  addContactTags,
  removeContactTags,
  addToList,
  contactDisposition,
  callDisposition,
  setDnc,
  customReply,
  hangUp,
  checkAvailability,
  bookAppointment,
  rescheduleAppointment,
  cancelAppointment,
  extractData,
  evaluateCall,
  summarizeCall,
  httpRequest,
  webhook,
  sendSms,
  sendWhatsapp,
  sendEmail,
  crmLog,
  escalate,
];

export function createActionRegistry(): ActionRegistry {
  const registry = new ActionRegistry();
  for (const t of ACTION_TYPES) registry.register(t);
  return registry;
}
