import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import { CallwrightError, describeIssues, type FieldIssue } from '../errors.js';
import { check } from '../util/validate.js';
import { ConfigSchema, type Config } from './schema.js';

const ENV_PREFIX = 'CALLWRIGHT_';
/** Environment variables with the prefix that are not key paths. */
const NON_KEY_ENV = new Set(['CALLWRIGHT_CONFIG', 'CALLWRIGHT_API_KEY']);

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CONFIG_FILE = path.join(PROJECT_ROOT, 'config', 'default.yaml');

export interface LoadOptions {
  /** Explicit local file (else CALLWRIGHT_CONFIG, else config/local.yaml when present). */
  file?: string;
  /** Environment to read overrides from (defaults to process.env). */
  env?: Record<string, string | undefined>;
  /** Extra overrides applied last, by object (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readYaml(file: string): Json {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CallwrightError(
      'CONFIG_INVALID',
      `cannot read config file ${file}: ${(err as Error).message}`,
      [],
      {
        cause: err,
      },
    );
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) {
    throw new CallwrightError('CONFIG_INVALID', `config file ${file} must hold a mapping of keys`, [
      { field: '(root)', value: doc, expected: 'a YAML mapping' },
    ]);
  }
  return doc;
}

/** Deep merge where arrays and scalars replace. */
export function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  }
  return out;
}

interface Leaf {
  path: string[];
  schema: TSchema;
}

/** Every leaf key path the schema knows, for env mapping. Objects with free keys are leaves too. */
function leaves(schema: TSchema, prefix: string[] = []): Leaf[] {
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type === 'object' && props) {
    return Object.entries(props).flatMap(([k, s]) => leaves(s, [...prefix, k]));
  }
  return [{ path: prefix, schema }];
}

function schemaTypes(schema: TSchema): string[] {
  if (schema.type) return Array.isArray(schema.type) ? schema.type : [schema.type];
  const variants = (schema.anyOf ?? schema.oneOf ?? []) as TSchema[];
  if (variants.length) return [...new Set(variants.flatMap(schemaTypes))];
  if (schema.const !== undefined) return [typeof schema.const];
  return ['string'];
}

function parseEnvValue(raw: string, schema: TSchema, field: string): unknown {
  const types = schemaTypes(schema);
  if (types.includes('integer') || types.includes('number')) {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return n;
    if (!types.includes('string')) return raw; // let validation name it
  }
  if (types.includes('boolean')) {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    if (!types.includes('string')) return raw;
  }
  if (types.includes('array') || types.includes('object')) {
    try {
      return JSON.parse(raw);
    } catch {
      if (types.includes('array'))
        return raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      throw new CallwrightError('CONFIG_INVALID', `${field}: got ${JSON.stringify(raw)}, expected JSON`, [
        { field, value: raw, expected: 'JSON' },
      ]);
    }
  }
  return raw;
}

function setPath(obj: Json, p: string[], value: unknown): void {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as Json;
  }
  cur[p[p.length - 1] as string] = value;
}

export function envName(p: string[]): string {
  return ENV_PREFIX + p.join('_').toUpperCase();
}

function fromEnv(env: Record<string, string | undefined>): Json {
  const byName = new Map(leaves(ConfigSchema).map((l) => [envName(l.path), l]));
  const out: Json = {};
  const unknown: FieldIssue[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || NON_KEY_ENV.has(name)) continue;
    const leaf = byName.get(name);
    if (!leaf) {
      unknown.push({ field: name, value: raw, expected: 'a CALLWRIGHT_ variable named after a config key' });
      continue;
    }
    setPath(out, leaf.path, parseEnvValue(raw, leaf.schema, leaf.path.join('.')));
  }
  if (unknown.length) {
    throw new CallwrightError(
      'CONFIG_INVALID',
      `unknown environment override\n${describeIssues(unknown)}`,
      unknown,
    );
  }
  return out;
}

/** Loads default.yaml, the local file and env overrides; validates; throws CONFIG_INVALID naming each bad key. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  let merged = readYaml(DEFAULT_CONFIG_FILE);
  const localFile =
    options.file ??
    env.CALLWRIGHT_CONFIG ??
    (existsSync(path.join(PROJECT_ROOT, 'config', 'local.yaml'))
      ? path.join(PROJECT_ROOT, 'config', 'local.yaml')
      : undefined);
  if (localFile) {
    if (!existsSync(localFile)) {
      throw new CallwrightError('CONFIG_INVALID', `config file ${localFile} does not exist`, [
        { field: 'CALLWRIGHT_CONFIG', value: localFile, expected: 'the path of a readable YAML file' },
      ]);
    }
    merged = merge(merged, readYaml(localFile));
  }
  merged = merge(merged, fromEnv(env));
  if (options.overrides) merged = merge(merged, options.overrides);
  return validateConfig(merged);
}

export function validateConfig(value: unknown): Config {
  const issues = check(ConfigSchema, value);
  if (issues.length) {
    throw new CallwrightError('CONFIG_INVALID', `invalid configuration\n${describeIssues(issues)}`, issues);
  }
  return value as Config;
}

/** Absolute data dir and database path for a config. */
export function dataPaths(config: Config): { dir: string; database: string } {
  const dir = path.resolve(config.data.dir);
  return { dir, database: path.join(dir, config.data.database) };
}
