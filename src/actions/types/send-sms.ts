import { messageActionType } from './send-sms-message.js';

/** Sends an SMS through the configured provider (Twilio-compatible or generic HTTP). */
export const sendSms = messageActionType('sms');
