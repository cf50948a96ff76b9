/**
 * Redaction by the shape of a value rather than the name of its key: a phone number must not leak
 * whatever key (or message text, error text, URL) it sits in, while values that are never numbers
 * (call states, ids, times) stay readable.
 */

const REDACTED = '[redacted]';

/** Fewest digits a value needs to count as a phone number (shorter ones are extensions, counts, ports). */
const MIN_PHONE_DIGITS = 7;

interface Shape {
  pattern: RegExp;
  /** False when a match still needs MIN_PHONE_DIGITS digits (and not to be a date) to count. */
  always: boolean;
}

/** Shapes of phone numbers and addresses, each replaced whole. */
const SHAPES: Shape[] = [
  // International form: E.164 (`+14155550100`) and its written forms (`+1 (415) 555-0100`),
  // also percent-encoded in URLs (`%2B14155550100`).
  { pattern: /(?:\+|%2B)\d[\d ()-]{5,}\d/gi, always: false },
  // The user part of a SIP or tel URI (RFC 3261 §19.1.1, RFC 3966 §3) when it is a number of 5 or
  // more digits (shorter ones are PBX extensions).
  { pattern: /(?<=\b(?:sips?|tel):)\+?\d[\d()-]{3,}\d/gi, always: true },
  // Written national numbers: `(415) 555-0100`, `415-555-0100`, `020 7946 0958`.
  {
    pattern: /(?<![\w.:+-])(?:\(\d{2,4}\) ?|\d{2,4}[ -])\d{2,4}(?:[ -]\d{2,4}){0,2}(?![\w.:-])/g,
    always: false,
  },
  // A bare run of digits as long as a phone number.
  { pattern: /(?<![\w.:+-])\d{7,15}(?![\w.:-])/g, always: true },
  // Email addresses: a domain ending in a name, so SIP Call-IDs (`a84b4c76e66710@10.0.0.1`) and SIP
  // URIs (`sip:alice@pbx.example.com`, whose number users the shape above catches) stay readable.
  { pattern: /(?<!\bsips?:)(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b/g, always: true },
];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function looksLikeNumber(match: string): boolean {
  return !ISO_DATE.test(match) && match.replace(/\D/g, '').length >= MIN_PHONE_DIGITS;
}

/** Replaces every phone-number-shaped and email-shaped part of a text with `[redacted]`. */
export function scrubText(text: string): string {
  let out = text;
  for (const { pattern, always } of SHAPES) {
    out = out.replace(pattern, (m) => (always || looksLikeNumber(m) ? REDACTED : m));
  }
  return out;
}

const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * Scrubs the string tokens of one serialized JSON log line (keys and values), leaving bare JSON
 * numbers (times, counts, durations) alone. The replacement holds no quote or backslash, so the
 * line stays valid JSON.
 */
export function scrubJsonLine(line: string): string {
  return line.replace(JSON_STRING, (token) => scrubText(token));
}

/** Query parameters whose value is a number or a text of a person, whatever it looks like. */
const PII_QUERY_KEYS = new Set([
  'phone',
  'number',
  'from',
  'to',
  'caller',
  'callee',
  'email',
  'body',
  'text',
  'q',
  'search',
  // The signature of a recording link (GET /calls/:id/recording?sig=…) opens the recording: never logged.
  'sig',
]);

/**
 * A request URL fit for a log line: the path with numbers scrubbed, and each query value replaced
 * when its key names PII or its decoded value looks like a number.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const pathPart = scrubText(safeDecode(q === -1 ? url : url.slice(0, q)));
  if (q === -1) return pathPart;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const key = pair.slice(0, eq);
      const value = safeDecode(pair.slice(eq + 1).replace(/\+/g, ' '));
      const rawValue = safeDecode(pair.slice(eq + 1));
      const hidden =
        PII_QUERY_KEYS.has(safeDecode(key).toLowerCase()) ||
        scrubText(value) !== value ||
        scrubText(rawValue) !== rawValue;
      return hidden ? `${key}=${REDACTED}` : pair;
    });
  return `${pathPart}?${params.join('&')}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
