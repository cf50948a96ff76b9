/**
 * JSONPath (RFC 9535) for mapping HTTP responses into variables, through json-p3: names, indexes,
 * wildcards, slices (`$.items[0:2]`), filters (`$.items[?@.status == 'open'].id`), recursive descent
 * and the standard functions (`length`, `count`, `match`, `search`, `value`).
 *
 * A singular query (RFC 9535 §2.3.5.1: only name and index selectors) gives one value or nothing; any
 * other query gives the array of what it matched, so a mapping's shape does not depend on the data.
 */
import {
  JSONPathEnvironment,
  JSONPathError as LibraryError,
  type JSONPathQuery,
  type JSONValue,
} from 'json-p3';

export interface CompiledPath {
  source: string;
  query: JSONPathQuery;
  /** True when the path is not a singular query and so yields an array of matches. */
  multiple: boolean;
}

export class JsonPathError extends Error {}

/** Strict RFC 9535: no library extensions, so a path that works here works in any compliant tool. */
const environment = new JSONPathEnvironment({ strict: true });

/** Mappings run on every response; their handful of distinct paths is parsed once. */
const cache = new Map<string, CompiledPath>();
const CACHE_LIMIT = 500;

export function compileJsonPath(source: string): CompiledPath {
  const cached = cache.get(source);
  if (cached) return cached;
  let query: JSONPathQuery;
  try {
    query = environment.compile(source);
  } catch (err) {
    if (err instanceof LibraryError) throw new JsonPathError(`${source}: ${err.message}`);
    throw err;
  }
  const path = { source, query, multiple: !query.singularQuery() };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(source, path);
  return path;
}

/** All values the path selects, in document order. */
export function queryJsonPath(path: CompiledPath, document: unknown): unknown[] {
  // A parsed JSON body is a JSONValue; json-p3 only reads it.
  return path.query.query(document as JSONValue).values();
}

/** One value: the single match, the array of matches for non-singular paths, undefined when nothing matched. */
export function selectJsonPath(source: string, document: unknown): unknown {
  const path = compileJsonPath(source);
  const values = queryJsonPath(path, document);
  return path.multiple ? values : values[0];
}
