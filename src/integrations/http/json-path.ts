/**
 * A small JSONPath subset (RFC 9535) for mapping responses into variables:
 * `$`, `.name`, `['name']`, `[0]`, `[-1]`, `[*]` / `.*` (wildcards return an array of matches).
 * Filters, slices and recursive descent are not supported; `compileJsonPath` says so.
 */
export type PathSegment =
  { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export interface CompiledPath {
  source: string;
  segments: PathSegment[];
  /** True when a wildcard can yield several values. */
  multiple: boolean;
}

export class JsonPathError extends Error {}

const NAME = /^[A-Za-z_$][\w$-]*/;

export function compileJsonPath(source: string): CompiledPath {
  if (!source.startsWith('$')) throw new JsonPathError(`${source}: a JSONPath starts with $`);
  const segments: PathSegment[] = [];
  let rest = source.slice(1);
  while (rest.length) {
    if (rest.startsWith('..')) throw new JsonPathError(`${source}: recursive descent (..) is not supported`);
    if (rest.startsWith('.*')) {
      segments.push({ kind: 'wildcard' });
      rest = rest.slice(2);
    } else if (rest.startsWith('.')) {
      const m = NAME.exec(rest.slice(1));
      if (!m)
        throw new JsonPathError(`${source}: expected a member name after "." at ${JSON.stringify(rest)}`);
      segments.push({ kind: 'name', name: m[0] });
      rest = rest.slice(1 + m[0].length);
    } else if (rest.startsWith('[')) {
      const close = bracketEnd(rest, source);
      segments.push(bracketSegment(rest.slice(1, close).trim(), source));
      rest = rest.slice(close + 1);
    } else {
      throw new JsonPathError(`${source}: unexpected ${JSON.stringify(rest)}`);
    }
  }
  return { source, segments, multiple: segments.some((s) => s.kind === 'wildcard') };
}

function bracketEnd(rest: string, source: string): number {
  const quote = rest[1] === "'" || rest[1] === '"' ? rest[1] : undefined;
  const close = quote ? rest.indexOf(quote + ']', 2) + 1 : rest.indexOf(']');
  if (close <= 0) throw new JsonPathError(`${source}: unclosed [`);
  return close;
}

function bracketSegment(inner: string, source: string): PathSegment {
  if (inner === '*') return { kind: 'wildcard' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { kind: 'name', name: quoted[2]! };
  throw new JsonPathError(`${source}: [${inner}] is not supported (use a name, an index or *)`);
}

/** All values the path selects, in document order. */
export function queryJsonPath(path: CompiledPath, document: unknown): unknown[] {
  let nodes: unknown[] = [document];
  for (const seg of path.segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (node === null || typeof node !== 'object') continue;
      if (seg.kind === 'wildcard') next.push(...(Array.isArray(node) ? node : Object.values(node)));
      else if (seg.kind === 'index') {
        if (!Array.isArray(node)) continue;
        const i = seg.index < 0 ? node.length + seg.index : seg.index;
        if (i >= 0 && i < node.length) next.push(node[i]);
      } else if (!Array.isArray(node) && Object.prototype.hasOwnProperty.call(node, seg.name)) {
        next.push((node as Record<string, unknown>)[seg.name]);
      }
    }
    nodes = next;
  }
  return nodes;
}

/** One value: the single match, the array of matches for wildcard paths, undefined when nothing matched. */
export function selectJsonPath(source: string, document: unknown): unknown {
  const path = compileJsonPath(source);
  const values = queryJsonPath(path, document);
  return path.multiple ? values : values[0];
}
