/**
 * True when the runtime's time zone database knows `name` (IANA names such as Europe/Paris, and UTC).
 * Intl is the authority here because the same runtime later formats times in that zone.
 */
export function isIanaTimeZone(name: string): boolean {
  if (name.trim() === '' || name !== name.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const TIME_ZONE_EXPECTED = 'an IANA time zone such as Europe/Paris, America/New_York or UTC';
