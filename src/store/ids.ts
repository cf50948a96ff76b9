import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** A short random id with a type prefix: `agt_3k9x…`. 16 chars = 80 bits. */
export function newId(prefix: string): string {
  const bytes = randomBytes(16);
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 31];
  return `${prefix}_${s}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
