/**
 * Which Request-URI users we accept calls for (`sip.dids`): "*" = any, exact users, or patterns where
 * `*` matches any run of characters and `?` one character.
 */
export class DidRouter {
  private readonly exact = new Set<string>();
  private readonly patterns: RegExp[] = [];
  private any = false;

  constructor(entries: string[]) {
    for (const e of entries) {
      if (e === '*') this.any = true;
      else if (/[*?]/.test(e)) {
        const re = e
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.');
        this.patterns.push(new RegExp(`^${re}$`));
      } else this.exact.add(e);
    }
  }

  accepts(user: string): boolean {
    return this.any || this.exact.has(user) || this.patterns.some((p) => p.test(user));
  }
}
