import type { TranscriptLine } from '../../integrations/llm/call-transcript.js';
import { isoDate, parseIsoDate, type LocalDate } from '../../util/zoned-time.js';
import type { ExtractFieldSpec } from './extract-data-fields.js';

/**
 * Extraction without an LLM: each field's regex, or its keywords, over the caller's lines. Values come
 * out in the field's type (numbers as numbers, dates as YYYY-MM-DD) and are then checked like LLM ones.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_RE =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  hundred: 100,
};

function normal(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function mentions(line: string, phrase: string): number {
  const m = new RegExp(`(^|[^a-z0-9])${escapeRe(normal(phrase))}($|[^a-z0-9])`).exec(normal(line));
  return m ? m.index + m[1]!.length : -1;
}

function numberIn(text: string): number | undefined {
  const digits = /-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?/.exec(text);
  if (digits) return Number(digits[0].replace(/,/g, ''));
  const word = normal(text)
    .split(/[^a-z]+/)
    .find((w) => w in NUMBER_WORDS);
  return word === undefined ? undefined : NUMBER_WORDS[word];
}

/** The number closest to a keyword in the line ("a table for 4 people on March 20" → 4 for "people"). */
function nearestNumber(line: string, keywords: readonly string[]): number | undefined {
  const found = [...line.matchAll(/-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?/g)].map((m) => ({
    at: m.index,
    end: m.index + m[0].length,
    value: Number(m[0].replace(/,/g, '')),
  }));
  const wordRe = new RegExp(`\\b(${Object.keys(NUMBER_WORDS).join('|')})\\b`, 'g');
  const words = [...line.toLowerCase().matchAll(wordRe)].map((m) => ({
    at: m.index,
    end: m.index + m[0].length,
    value: NUMBER_WORDS[m[0]]!,
  }));
  const all = [...found, ...words];
  if (!all.length) return undefined;
  const anchors = keywords.map((k) => ({ at: mentions(line, k), len: k.length })).filter((a) => a.at >= 0);
  if (!anchors.length) return all[0]!.value;
  const distance = (n: { at: number; end: number }) =>
    Math.min(...anchors.map((a) => (n.end <= a.at ? a.at - n.end : Math.max(0, n.at - (a.at + a.len)))));
  return all.reduce((best, n) => (distance(n) < distance(best) ? n : best)).value;
}

/** ISO (2026-03-10), US numeric (3/10/2026), "March 10[, 2026]" or "10 March [2026]"; a missing year is the next occurrence. */
export function dateIn(text: string, today: LocalDate): string | undefined {
  const iso = /\b(\d{4}-\d{2}-\d{2})\b/.exec(text);
  if (iso && parseIsoDate(iso[1]!)) return iso[1];
  const us = /\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/.exec(text);
  if (us) return valid({ year: +us[3]!, month: +us[1]!, day: +us[2]! });
  const t = normal(text);
  const md = new RegExp(`\\b${MONTH_RE}\\.? (\\d{1,2})(?:st|nd|rd|th)?(?:,? (\\d{4}))?\\b`).exec(t);
  const dm = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)? (?:of )?${MONTH_RE}\\.?(?:,? (\\d{4}))?\\b`).exec(t);
  const parts = md
    ? { month: md[1]!, day: +md[2]!, year: md[3] }
    : dm
      ? { month: dm[2]!, day: +dm[1]!, year: dm[3] }
      : undefined;
  if (!parts) return undefined;
  const month = MONTHS.indexOf(parts.month.slice(0, 3)) + 1;
  if (parts.year) return valid({ year: +parts.year, month, day: parts.day });
  const thisYear = { year: today.year, month, day: parts.day };
  const before = month < today.month || (month === today.month && parts.day < today.day);
  return valid(before ? { ...thisYear, year: today.year + 1 } : thisYear);
}

function valid(d: LocalDate): string | undefined {
  return parseIsoDate(isoDate(d)) ? isoDate(d) : undefined;
}

/** The text after a keyword, up to the end of its clause. */
function textAfter(line: string, keyword: string): string | undefined {
  const at = mentions(line, keyword);
  if (at < 0) return undefined;
  const rest = line.slice(at + keyword.length).replace(/^[\s:,-]+/, '');
  const clause = rest.split(/[.!?;,]|\band\b/)[0]?.trim();
  return clause || undefined;
}

function byPattern(f: ExtractFieldSpec, lines: string[], today: LocalDate): unknown {
  const re = new RegExp(f.pattern!, 'i');
  for (const line of lines) {
    const m = re.exec(line);
    if (!m) continue;
    return coerce(f, (m[1] ?? m[0]).trim(), today);
  }
  return undefined;
}

function coerce(f: ExtractFieldSpec, raw: string, today: LocalDate): unknown {
  switch (f.type) {
    case 'number':
      return numberIn(raw) ?? raw;
    case 'date':
      return dateIn(raw, today) ?? raw;
    case 'boolean':
      return /^(y|yes|true|1|yeah|yep|sure|correct)$/i.test(raw)
        ? true
        : /^(n|no|false|0|nope)$/i.test(raw)
          ? false
          : raw;
    case 'enum':
      return (f.values ?? []).find((v) => normal(v) === normal(raw)) ?? raw;
    default:
      return raw;
  }
}

function byKeywords(f: ExtractFieldSpec, lines: string[], today: LocalDate): unknown {
  const keywords = f.keywords ?? [];
  if (f.type === 'enum') {
    for (const line of lines) {
      const hit = (f.values ?? []).find((v) => mentions(line, v) >= 0);
      if (hit) return hit;
    }
    return undefined;
  }
  if (f.type === 'boolean') {
    for (const line of lines) {
      if ((f.false_keywords ?? []).some((k) => mentions(line, k) >= 0)) return false;
      if (keywords.some((k) => mentions(line, k) >= 0)) return true;
    }
    return undefined;
  }
  const scoped = keywords.length ? lines.filter((l) => keywords.some((k) => mentions(l, k) >= 0)) : lines;
  for (const line of scoped) {
    if (f.type === 'number') {
      const n = nearestNumber(line, keywords);
      if (n !== undefined) return n;
    } else if (f.type === 'date') {
      const d = dateIn(line, today);
      if (d) return d;
    } else {
      for (const k of keywords) {
        const t = textAfter(line, k);
        if (t) return t;
      }
    }
  }
  return undefined;
}

/** Proposed values of every field from the caller's lines (the agent's own words are not evidence). */
export function extractByRules(
  fields: readonly ExtractFieldSpec[],
  transcript: readonly TranscriptLine[],
  today: LocalDate,
): Record<string, unknown> {
  const lines = transcript.filter((l) => l.speaker === 'caller').map((l) => l.text);
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const value = f.pattern ? byPattern(f, lines, today) : byKeywords(f, lines, today);
    if (value !== undefined) out[f.name] = value;
  }
  return out;
}
