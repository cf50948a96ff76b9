import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactUrl, scrubJsonLine } from './pii-scrub.js';

export type { Logger } from 'pino';

/**
 * Keys whose values are PII whatever they look like (message bodies, transcripts, numbers).
 * `from` and `to` are not here: they also name call states (`{ from: 'ringing', to: 'answered' }`);
 * a number under them, or under any other key, is caught by its shape (see pii-scrub.ts).
 */
const PII_KEYS = ['phone', 'number', 'caller', 'callee', 'body', 'text', 'transcript', 'email'];

/** Provider keys (speech, LLM) by name, wherever a config or options object is logged. */
const KEY_NAMES = ['api_key', 'apiKey'];

const SECRET_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  ...KEY_NAMES,
  ...KEY_NAMES.map((k) => `*.${k}`),
  ...KEY_NAMES.map((k) => `*.*.${k}`),
];

const PII_PATHS = [...PII_KEYS, ...PII_KEYS.map((k) => `*.${k}`), ...SECRET_PATHS];

export interface LoggerSettings {
  level: string;
  redact_pii: boolean;
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** fastify's request serializer with the URL redacted (`GET /contacts?phone=+1…` logs no number). */
function redactedRequest(req: RequestLike): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function createLogger(settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: 'callwright' },
    redact: { paths: settings.redact_pii ? PII_PATHS : SECRET_PATHS, censor: '[redacted]' },
    ...(settings.redact_pii
      ? {
          serializers: { req: redactedRequest },
          // The finished line: catches numbers in messages, error texts and serializer output too.
          hooks: { streamWrite: scrubJsonLine },
        }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Masks all but the last 2 digits of a phone number, for messages that must show something. */
export function maskNumber(value: string | null | undefined): string {
  if (!value) return '';
  return value.replace(/\d(?=\d{2})/g, '•');
}
