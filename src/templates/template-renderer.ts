import { Liquid, type Template } from 'liquidjs';
import { CallwrightError, type FieldIssue } from '../errors.js';

/** The variables a template sees: `call.*`, `contact.*`, `collected.*`, `data.*`, `actions.<name>.*`, `args.*`. */
export type TemplateScope = Record<string, unknown>;

const DEFAULT_HINT =
  'a variable that exists, or a default such as {{ contact.first_name | default: "there" }}';

function offsetOf(source: string, row: number, col: number): number {
  let offset = 0;
  for (let r = 1; r < row; r++) {
    const nl = source.indexOf('\n', offset);
    if (nl < 0) break;
    offset = nl + 1;
  }
  return offset + col - 1;
}

/** The `{{ … }}` or `{% … %}` markup around a position, to see whether it has a default or is a condition. */
function enclosingMarkup(source: string, at: number): string {
  const open = Math.max(source.lastIndexOf('{{', at), source.lastIndexOf('{%', at));
  if (open < 0) return '';
  const closeOut = source.indexOf('}}', at);
  const closeTag = source.indexOf('%}', at);
  const ends = [closeOut, closeTag].filter((n) => n >= 0);
  const close = ends.length ? Math.min(...ends) : source.length;
  return source.slice(open, close + 2);
}

/** Sets `null` at a path (creating objects), so `default` sees "nil" instead of a strict-mode error. */
function setNull(scope: Record<string, unknown>, segments: ReadonlyArray<unknown>): void {
  let cur: Record<string, unknown> = scope;
  segments.forEach((seg, i) => {
    const key = String(seg);
    if (i === segments.length - 1) {
      if (cur[key] === undefined) cur[key] = null;
      return;
    }
    const next = cur[key];
    if (next === null || next === undefined) cur[key] = {};
    else if (typeof next !== 'object') return;
    else cur[key] = Array.isArray(next) ? [...next] : { ...(next as Record<string, unknown>) };
    cur = cur[key] as Record<string, unknown>;
  });
}

function exists(scope: unknown, segments: ReadonlyArray<unknown>): boolean {
  let cur: unknown = scope;
  for (const seg of segments) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return false;
    const key = typeof seg === 'number' ? seg : String(seg);
    if (!(key in (cur as Record<string | number, unknown>))) return false;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur !== undefined;
}

/**
 * One placeholder syntax for every text field: Liquid (`{{ contact.first_name }}`), via LiquidJS.
 * Strict by design: a variable that does not exist is an error naming it, unless the output gives a
 * `default` filter, or the variable sits in an `if`/`unless` condition (a missing value is false there,
 * and the body of a branch not taken is not rendered). Unknown filters are errors too.
 */
export class TemplateRenderer {
  private readonly liquid = new Liquid({
    strictFilters: true,
    strictVariables: true,
    lenientIf: true,
    cache: 500,
  });

  /** Parses a template; a syntax error names the field and the problem. */
  parse(source: string, field = 'template'): Template[] {
    try {
      return this.liquid.parse(source);
    } catch (err) {
      throw templateError(field, source, (err as Error).message);
    }
  }

  /**
   * Missing variables that have a `default` filter: the scope gets `null` there, because LiquidJS's
   * strict mode would otherwise throw before the filter runs.
   */
  private withDefaults(
    parsed: Template[],
    source: string,
    scope: TemplateScope,
    missing: string[],
  ): TemplateScope {
    let out: TemplateScope | undefined;
    for (const occurrences of Object.values(this.liquid.analyzeSync(parsed).globals)) {
      for (const v of occurrences) {
        if (exists(scope, v.segments)) continue;
        missing.push(String(v));
        const markup = enclosingMarkup(source, offsetOf(source, v.location.row, v.location.col));
        if (!/\|\s*default\b/.test(markup)) continue;
        out ??= { ...scope };
        setNull(out, v.segments);
      }
    }
    return out ?? scope;
  }

  /** Renders one template string; throws TEMPLATE naming the field and the missing variable. */
  render(source: string, scope: TemplateScope, field = 'template'): string {
    if (!source.includes('{')) return source;
    const parsed = this.parse(source, field);
    const absent: string[] = [];
    try {
      return this.liquid.renderSync(parsed, this.withDefaults(parsed, source, scope, absent)) as string;
    } catch (err) {
      // LiquidJS names the first missing segment (`actions.book`); name the whole path used.
      const reported = /undefined variable: ([^,]+)/.exec((err as Error).message)?.[1];
      const missing =
        reported && (absent.find((a) => a === reported || a.startsWith(`${reported}.`)) ?? reported);
      if (missing) {
        throw new CallwrightError('TEMPLATE', `${field}: undefined variable ${JSON.stringify(missing)}`, [
          { field, value: missing, expected: DEFAULT_HINT },
        ]);
      }
      throw templateError(field, source, (err as Error).message);
    }
  }

  /** Renders every string inside a JSON value (config objects), naming fields by their dotted path. */
  renderDeep<T>(value: T, scope: TemplateScope, field = 'config', skip: ReadonlySet<string> = new Set()): T {
    if (skip.has(field)) return value;
    if (typeof value === 'string') return this.render(value, scope, field) as T;
    if (Array.isArray(value))
      return value.map((v, i) => this.renderDeep(v, scope, `${field}.${i}`, skip)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.renderDeep(v, scope, `${field}.${k}`, skip);
      return out as T;
    }
    return value;
  }

  /** Syntax-checks every string inside a JSON value; returns one issue per bad field (used on save). */
  checkDeep(value: unknown, field = 'config'): FieldIssue[] {
    if (typeof value === 'string') {
      try {
        if (value.includes('{')) this.parse(value, field);
        return [];
      } catch (err) {
        return (err as CallwrightError).issues;
      }
    }
    if (Array.isArray(value)) return value.flatMap((v, i) => this.checkDeep(v, `${field}.${i}`));
    if (value && typeof value === 'object') {
      return Object.entries(value).flatMap(([k, v]) => this.checkDeep(v, `${field}.${k}`));
    }
    return [];
  }
}

function templateError(field: string, source: string, detail: string): CallwrightError {
  return new CallwrightError('TEMPLATE', `${field}: ${detail}`, [
    { field, value: source, expected: 'a valid Liquid template such as "Hi {{ contact.first_name }}"' },
  ]);
}
