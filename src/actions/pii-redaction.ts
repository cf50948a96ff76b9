/**
 * Redacts PII from what the execution history stores as a run's inputs: values under keys that name
 * PII (numbers, bodies, transcripts, emails) and anything that looks like a phone number or an email.
 * Credentials in action configs (tokens, secrets, passwords, authorization headers) never reach it.
 */
const PII_KEY = /^(from|to|phone|number|caller|callee|body|text|message|transcript|email|say|remote|sms)$/i;
const SECRET_KEY = /(token|secret|password|passwd|authorization|api[_-]?key|signature|credential)/i;
const PHONE = /\+?\d[\d\s().-]{6,}\d/g;
const EMAIL = /[^\s@"'<>]+@[^\s@"'<>]+\.[a-z]{2,}/gi;

export function redactText(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? '[number]' : m));
}

export function redactPii(value: unknown, key = ''): unknown {
  if (key && SECRET_KEY.test(key) && value !== null && value !== undefined && value !== '') return '[secret]';
  if (typeof value === 'string') return PII_KEY.test(key) ? '[redacted]' : redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactPii(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactPii(v, k)]));
  }
  return value;
}
