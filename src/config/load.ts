import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import { CallwrightError, describeIssues, type FieldIssue } from '../errors.js';
import { check } from '../util/validate.js';
import { ConfigSchema, type Config } from './schema.js';
import { amdOverrideIssues } from '../calls/amd/amd-call-settings.js';

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

interface EnvKey {
  path: string[];
  schema: TSchema;
}

/**
 * Every key path the environment can set: each leaf, and each object section as a whole (given as
 * JSON and merged over the lower layers like a section of the local file). Objects with free keys
 * are leaves.
 */
function envKeys(schema: TSchema, prefix: string[] = []): EnvKey[] {
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type === 'object' && props) {
    const section = prefix.length ? [{ path: prefix, schema }] : [];
    return [...section, ...Object.entries(props).flatMap(([k, s]) => envKeys(s, [...prefix, k]))];
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

type Parsed = { value: unknown } | { issue: FieldIssue };

/** Types an environment value by the schema; lists and objects must be JSON. */
function parseEnvValue(raw: string, schema: TSchema, name: string, keyPath: string): Parsed {
  const types = schemaTypes(schema);
  if (types.includes('integer') || types.includes('number')) {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return { value: n };
    if (!types.includes('string')) return { value: raw }; // validation names the key and the type
  }
  if (types.includes('boolean')) {
    if (/^(true|1|yes|on)$/i.test(raw)) return { value: true };
    if (/^(false|0|no|off)$/i.test(raw)) return { value: false };
    if (!types.includes('string')) return { value: raw };
  }
  if (types.includes('array') || types.includes('object')) {
    try {
      return { value: JSON.parse(raw) as unknown };
    } catch (err) {
      const shape = types.includes('array')
        ? 'a JSON list such as ["a","b"]'
        : 'a JSON object such as {"key":"value"}';
      return {
        issue: {
          field: name,
          value: raw,
          expected: `${shape} for ${keyPath} (not valid JSON: ${(err as Error).message})`,
        },
      };
    }
  }
  return { value: raw };
}

function setPath(obj: Json, p: string[], value: unknown): void {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as Json;
  }
  const last = p[p.length - 1] as string;
  // A section given whole and one of its keys given alone: the key refines the section.
  cur[last] = isObject(value) && isObject(cur[last]) ? merge(cur[last] as Json, value) : value;
}

function envName(p: string[]): string {
  return ENV_PREFIX + p.join('_').toUpperCase();
}

function fromEnv(env: Record<string, string | undefined>): Json {
  const byName = new Map(envKeys(ConfigSchema).map((k) => [envName(k.path), k]));
  const found: Array<{ key: EnvKey; value: unknown }> = [];
  const issues: FieldIssue[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || NON_KEY_ENV.has(name)) continue;
    const key = byName.get(name);
    if (!key) {
      issues.push({ field: name, value: raw, expected: 'a CALLWRIGHT_ variable named after a config key' });
      continue;
    }
    const parsed = parseEnvValue(raw, key.schema, name, key.path.join('.'));
    if ('issue' in parsed) issues.push(parsed.issue);
    else found.push({ key, value: parsed.value });
  }
  if (issues.length) {
    throw new CallwrightError(
      'CONFIG_INVALID',
      `invalid environment override\n${describeIssues(issues)}`,
      issues,
    );
  }
  // Sections before their keys, so CALLWRIGHT_CALLS_CALLING_HOURS_END refines CALLWRIGHT_CALLS_CALLING_HOURS.
  found.sort((a, b) => a.key.path.length - b.key.path.length);
  const out: Json = {};
  for (const { key, value } of found) setPath(out, key.path, value);
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
  let issues = check(ConfigSchema, value);
  // Rules between the detector's fields (the beep band is a band, …) once each field is valid.
  if (!issues.length) issues = amdOverrideIssues((value as Config).amd, 'amd');
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
