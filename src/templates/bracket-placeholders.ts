/**
 * The old placeholder style `[first_name]` (and `[first_name|there]` with a default), accepted on
 * import and converted to Liquid. Bare names map to a namespace: contact fields to `contact.*`, call
 * fields to `call.*`, anything else to `collected.*` (what the caller said). Dotted names
 * (`[data.order_id]`) are kept as written.
 */
const CONTACT_FIELDS = new Set(['first_name', 'last_name', 'email', 'phone', 'timezone', 'disposition']);
const CALL_FIELDS = new Map<string, string>([
  ['from', 'call.from'],
  ['to', 'call.to'],
  ['caller_number', 'call.from'],
  ['called_number', 'call.to'],
  ['started_at', 'call.started_at'],
  ['duration', 'call.duration'],
  ['call_id', 'call.id'],
  ['direction', 'call.direction'],
]);

const BRACKET = /\[\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*(?:\|\s*([^\]]*?)\s*)?\]/g;

export function bracketVariable(name: string): string {
  if (name.includes('.')) return name;
  if (CONTACT_FIELDS.has(name)) return `contact.${name}`;
  return CALL_FIELDS.get(name) ?? `collected.${name}`;
}

/** Converts `[name]` / `[name|default]` to `{{ ns.name }}` / `{{ ns.name | default: "default" }}`. */
export function convertBrackets(text: string): string {
  return text.replace(BRACKET, (_m, name: string, fallback: string | undefined) => {
    const variable = bracketVariable(name);
    return fallback === undefined
      ? `{{ ${variable} }}`
      : `{{ ${variable} | default: ${JSON.stringify(fallback)} }}`;
  });
}

/** Applies `convertBrackets` to every string inside a JSON value. */
export function convertBracketsDeep<T>(value: T): T {
  if (typeof value === 'string') return convertBrackets(value) as T;
  if (Array.isArray(value)) return value.map((v) => convertBracketsDeep(v)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertBracketsDeep(v)])) as T;
  }
  return value;
}
