import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values are PII (phone numbers, message bodies, transcripts). Child loggers inherit
 * the redaction, so `logger.child({ callId }).info({ from: '+1…' }, 'inbound call')` never prints the number.
 */
export const PII_PATHS = [
  'from',
  'to',
  'phone',
  'number',
  'caller',
  'callee',
  'body',
  'text',
  'transcript',
  'email',
  '*.from',
  '*.to',
  '*.phone',
  '*.number',
  '*.caller',
  '*.callee',
  '*.body',
  '*.text',
  '*.transcript',
  '*.email',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

export interface LoggerSettings {
  level: string;
  redact_pii: boolean;
}

export function createLogger(settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: 'callwright' },
    redact: settings.redact_pii
      ? { paths: PII_PATHS, censor: '[redacted]' }
      : { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Masks all but the last 2 digits of a phone number, for messages that must show something. */
export function maskNumber(value: string | null | undefined): string {
  if (!value) return '';
  return value.replace(/\d(?=\d{2})/g, '•');
}
