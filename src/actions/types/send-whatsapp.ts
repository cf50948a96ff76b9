import { messageActionType } from './send-sms-message.js';

/** Sends a WhatsApp message (Twilio's `whatsapp:` addresses, or the generic provider with channel "whatsapp"). */
export const sendWhatsapp = messageActionType('whatsapp');
