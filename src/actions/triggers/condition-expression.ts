import { CallwrightError } from '../../errors.js';

/**
 * The contact-memory condition language. Grammar (keywords are case-insensitive):
 *
 *   expr     := or
 *   or       := and ( "or" and )*
 *   and      := not ( "and" not )*
 *   not      := "not" not | compare
 *   compare  := operand ( OP operand )?
 *   OP       := "==" | "!=" | "<" | "<=" | ">" | ">=" | "has" | "in" | "contains" | "matches"
 *   operand  := path | string | number | "true" | "false" | "null" | list | "(" expr ")"
 *   path     := name ( "." name )*          e.g. contact.tags, contact.plan, call.direction
 *   list     := "[" ( operand ( "," operand )* )? "]"
 *   string   := "…" or '…' with \" \' \\ escapes
 *
 * `a has b`: list a contains b (case-insensitive for strings); `a in b`: the reverse; `a contains b`:
 * substring, case-insensitive; `a matches b`: regular expression b. A bare path is true when its value
 * is truthy (non-empty string, non-zero, true, non-empty list). A missing path is `null`: it equals
 * only `null`, orders with nothing and has nothing. Paths start at a namespace: contact, call,
 * collected, data.
 */
export type Expr =
  | { kind: 'literal'; value: unknown }
  | { kind: 'path'; segments: string[] }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'not'; operand: Expr }
  | { kind: 'logic'; op: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'has' | 'in' | 'contains' | 'matches';

export const CONDITION_ROOTS = ['contact', 'call', 'collected', 'data'] as const;

interface Token {
  type: 'op' | 'word' | 'string' | 'number' | 'punct' | 'end';
  text: string;
  value?: unknown;
  col: number;
}

const WORD_OPS = new Set(['has', 'in', 'contains', 'matches']);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    const col = i + 1;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'") {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== ch) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        value += src[j];
        j++;
      }
      if (j >= src.length) throw parseError(src, col, 'a closing quote for the string started here');
      tokens.push({ type: 'string', text: src.slice(i, j + 1), value, col });
      i = j + 1;
    } else if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'number', text: m[0], value: Number(m[0]), col });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_0-9][A-Za-z0-9_]*)*/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'word', text: m[0], col });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>='].includes(two)) {
        tokens.push({ type: 'op', text: two, col });
        i += 2;
      } else if (ch === '<' || ch === '>') {
        tokens.push({ type: 'op', text: ch, col });
        i++;
      } else if ('()[],'.includes(ch)) {
        tokens.push({ type: 'punct', text: ch, col });
        i++;
      } else {
        throw parseError(src, col, `an operator, value or name, got ${JSON.stringify(ch)}`);
      }
    }
  }
  tokens.push({ type: 'end', text: 'end of expression', col: src.length + 1 });
  return tokens;
}

function parseError(src: string, col: number, expected: string): CallwrightError {
  return new CallwrightError('VALIDATION', `condition: at column ${col}: expected ${expected}`, [
    { field: 'condition', value: src, expected: `${expected} at column ${col}` },
  ]);
}

class Parser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private next(): Token {
    return this.tokens[this.pos++] as Token;
  }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t.type === 'word' && t.text.toLowerCase() === word;
  }
  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw parseError(this.src, t.col, `"${text}", got "${t.text}"`);
  }

  parse(): Expr {
    const expr = this.or();
    const t = this.peek();
    if (t.type !== 'end') throw parseError(this.src, t.col, `"and", "or" or the end, got "${t.text}"`);
    return expr;
  }
  private or(): Expr {
    let left = this.and();
    while (this.isWord('or')) {
      this.next();
      left = { kind: 'logic', op: 'or', left, right: this.and() };
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.isWord('and')) {
      this.next();
      left = { kind: 'logic', op: 'and', left, right: this.not() };
    }
    return left;
  }
  private not(): Expr {
    if (this.isWord('not')) {
      this.next();
      return { kind: 'not', operand: this.not() };
    }
    return this.compare();
  }
  private compare(): Expr {
    const left = this.operand();
    const t = this.peek();
    const isWordOp = t.type === 'word' && WORD_OPS.has(t.text.toLowerCase());
    if (t.type !== 'op' && !isWordOp) return left;
    this.next();
    const op = (isWordOp ? t.text.toLowerCase() : t.text) as CompareOp;
    return { kind: 'compare', op, left, right: this.operand() };
  }
  private operand(): Expr {
    const t = this.next();
    if (t.type === 'string' || t.type === 'number') return { kind: 'literal', value: t.value };
    if (t.type === 'punct' && t.text === '(') {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (t.type === 'punct' && t.text === '[') return this.list();
    if (t.type === 'word') {
      const lower = t.text.toLowerCase();
      if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' };
      if (lower === 'null') return { kind: 'literal', value: null };
      if (['and', 'or', 'not', ...WORD_OPS].includes(lower)) {
        throw parseError(this.src, t.col, `a value or a name, got the keyword "${t.text}"`);
      }
      const segments = t.text.split('.');
      if (!(CONDITION_ROOTS as readonly string[]).includes(segments[0] as string)) {
        throw parseError(
          this.src,
          t.col,
          `a name starting with ${CONDITION_ROOTS.join(', ')} (or a quoted string), got "${t.text}"`,
        );
      }
      return { kind: 'path', segments };
    }
    throw parseError(this.src, t.col, `a value or a name, got "${t.text}"`);
  }
  private list(): Expr {
    const items: Expr[] = [];
    if (this.peek().text === ']') {
      this.next();
      return { kind: 'list', items };
    }
    for (;;) {
      items.push(this.operand());
      const t = this.next();
      if (t.text === ']') return { kind: 'list', items };
      if (t.text !== ',') throw parseError(this.src, t.col, `"," or "]", got "${t.text}"`);
    }
  }
}

/** Parses a condition; a syntax error is a VALIDATION error naming the column and what was expected. */
export function parseCondition(src: string): Expr {
  if (!src.trim()) throw parseError(src, 1, 'a condition such as contact.tags has "vip"');
  return new Parser(src, tokenize(src)).parse();
}

function lookup(scope: Record<string, unknown>, segments: string[]): unknown {
  let cur: unknown = scope;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return null;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur === undefined ? null : cur;
}

function norm(v: unknown): unknown {
  return typeof v === 'string' ? v.toLowerCase() : v;
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '') return a === Number(b);
  if (typeof b === 'number' && typeof a === 'string' && a.trim() !== '') return Number(a) === b;
  return a === b;
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return looseEqual(a, b);
    case '!=':
      return !looseEqual(a, b);
    case 'has':
      return Array.isArray(a) && a.some((x) => looseEqual(norm(x), norm(b)));
    case 'in':
      return Array.isArray(b) && b.some((x) => looseEqual(norm(x), norm(a)));
    case 'contains':
      return typeof a === 'string' && typeof b === 'string' && a.toLowerCase().includes(b.toLowerCase());
    case 'matches':
      return typeof a === 'string' && typeof b === 'string' && safeRegex(b).test(a);
    default: {
      const x = typeof a === 'string' && !isNaN(Number(a)) ? Number(a) : a;
      const y = typeof b === 'string' && !isNaN(Number(b)) ? Number(b) : b;
      if (typeof x !== typeof y || (typeof x !== 'number' && typeof x !== 'string')) return false;
      const [p, q] = [x as number | string, y as number | string];
      return op === '<' ? p < q : op === '<=' ? p <= q : op === '>' ? p > q : p >= q;
    }
  }
}

function safeRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return /(?!)/;
  }
}

function value(expr: Expr, scope: Record<string, unknown>): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path':
      return lookup(scope, expr.segments);
    case 'list':
      return expr.items.map((i) => value(i, scope));
    default:
      return evaluate(expr, scope);
  }
}

/** Evaluates a parsed condition against a scope `{ contact, call, collected, data }`. Never throws. */
export function evaluate(expr: Expr, scope: Record<string, unknown>): boolean {
  switch (expr.kind) {
    case 'logic':
      return expr.op === 'and'
        ? evaluate(expr.left, scope) && evaluate(expr.right, scope)
        : evaluate(expr.left, scope) || evaluate(expr.right, scope);
    case 'not':
      return !evaluate(expr.operand, scope);
    case 'compare':
      return compare(expr.op, value(expr.left, scope), value(expr.right, scope));
    default:
      return truthy(value(expr, scope));
  }
}

/** Parses and evaluates in one step (parses are cheap; callers that loop should keep the parsed form). */
export function evaluateCondition(src: string, scope: Record<string, unknown>): boolean {
  return evaluate(parseCondition(src), scope);
}
