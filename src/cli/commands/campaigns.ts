import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CallwrightError, ErrorCodes, type ErrorCode } from '../../errors.js';
import { apiTarget, loadCliConfig, type Io } from '../context.js';

interface CampaignView {
  id: string;
  name: string;
  status: string;
  calls_per_second: number;
  max_concurrent: number;
  progress: { total: number; done: number; by_status: Record<string, number> };
}

interface ContactView {
  phone: string;
  status: string;
  attempts: number;
  next_at: string | null;
  reason: string | null;
  history: Array<{ attempt: number; outcome: string | null }>;
}

/** `[#########-----------]  45% 9/20` for a terminal; plain `9/20 done` otherwise. */
export function progressLine(p: CampaignView['progress'], tty: boolean, width = 30): string {
  const ratio = p.total ? p.done / p.total : 1;
  if (!tty) return `${p.done}/${p.total} done`;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${p.done}/${p.total}`;
}

function counts(p: CampaignView['progress']): string {
  return Object.entries(p.by_status)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function num(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new CallwrightError(
      'VALIDATION',
      `${flag}: got ${JSON.stringify(value)}, expected a ${integer ? 'whole ' : ''}number > 0`,
      [{ field: flag, value, expected: `a ${integer ? 'whole ' : ''}number > 0` }],
    );
  return n;
}

/** `--retry busy=1:2` → {busy: {delay_s: 1, max_attempts: 2}} (repeatable). */
function collectRetry(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const m = /^(busy|no-answer|machine|failed)=(\d+(?:\.\d+)?):(\d+)$/.exec(value);
  if (!m)
    throw new CallwrightError(
      'VALIDATION',
      `--retry: got ${JSON.stringify(value)}, expected outcome=delay_s:max_attempts`,
      [
        {
          field: '--retry',
          value,
          expected: 'busy|no-answer|machine|failed=DELAY_S:MAX_ATTEMPTS, e.g. busy=60:3',
        },
      ],
    );
  return { ...previous, [m[1]!]: { delay_s: Number(m[2]), max_attempts: Number(m[3]) } };
}

/**
 * `callwright campaigns …`: list, show (progress bar on a terminal, per-contact results with
 * --contacts), create (from a YAML/JSON file of the POST /campaigns body, or flags), pause, resume,
 * cancel. Talks to the running server's admin API (the campaign runner lives in that process).
 */
export function campaignsCommand(program: Command, io: Io, fetchImpl: typeof fetch = fetch): void {
  const group = program
    .command('campaigns')
    .description('Outbound campaigns: create, follow, pause, resume, cancel');
  group.option('--api-url <url>', 'admin API of the running server (default from api.host/api.port)');
  group.option('--api-key <key>', 'API key (default: CALLWRIGHT_API_KEY)');

  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const opts = group.opts<{ apiUrl?: string; apiKey?: string }>();
    const { base, key } = apiTarget(loadCliConfig(program.opts()), opts);
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new CallwrightError(
        'UNAVAILABLE',
        `cannot reach the server at ${base}: ${(err as Error).message}`,
      );
    }
    const reply = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status >= 300) {
      const code =
        typeof reply.code === 'string' && reply.code in ErrorCodes ? (reply.code as ErrorCode) : 'INTERNAL';
      throw new CallwrightError(code, String(reply.message ?? `HTTP ${res.status}`));
    }
    return reply as T;
  };

  const summary = (c: CampaignView): void => {
    io.out(`${c.id}\t${c.name}\t${c.status}\t${progressLine(c.progress, false)}\t${counts(c.progress)}`);
  };

  group
    .command('list')
    .description('Campaigns, newest first: id, name, status, done/total, counts by status')
    .action(async () => {
      const page = await request<{ items: CampaignView[] }>('GET', '/campaigns?limit=500');
      for (const c of page.items) summary(c);
    });

  group
    .command('show <campaign>')
    .description(
      'A campaign (id or name): status, progress bar, counts; --contacts lists per-contact results',
    )
    .option('--contacts', 'per-contact results: number, status, attempts and their outcomes')
    .action(async (id: string, opts: { contacts?: boolean }) => {
      const c = await request<CampaignView>('GET', `/campaigns/${encodeURIComponent(id)}`);
      io.out(`${c.name} (${c.id}): ${c.status}, ${c.calls_per_second} calls/s, ${c.max_concurrent} at once`);
      io.out(progressLine(c.progress, io.tty));
      io.out(counts(c.progress));
      if (!opts.contacts) return;
      const page = await request<{ items: ContactView[] }>('GET', `/campaigns/${c.id}/contacts?limit=500`);
      for (const r of page.items)
        io.out(
          [
            r.phone,
            r.status,
            String(r.attempts),
            r.history.map((h) => h.outcome ?? 'dialling').join(','),
            r.next_at ?? '',
            r.reason ?? '',
          ].join('\t'),
        );
    });

  for (const action of ['pause', 'resume', 'cancel'] as const)
    group
      .command(`${action} <campaign>`)
      .description(
        {
          pause: 'Stop starting attempts (calls in progress go on)',
          resume: 'Start attempts again',
          cancel: 'End the campaign: pending contacts become cancelled',
        }[action],
      )
      .action(async (id: string) => {
        summary(await request<CampaignView>('POST', `/campaigns/${encodeURIComponent(id)}/${action}`));
      });

  group
    .command('create')
    .description(
      'Create a campaign from a YAML/JSON file (the POST /campaigns body) and/or flags (flags win)',
    )
    .option('--file <path>', 'YAML or JSON file with the campaign')
    .option('--name <name>', 'campaign name')
    .option('--agent <agent>', 'agent id or name')
    .option('--list <list>', 'call the contacts of this list')
    .option('--tag <tag>', 'call the contacts with this tag')
    .option('--cps <n>', 'calls per second')
    .option('--concurrent <n>', 'most calls at once')
    .option('--trunk <name>', 'trunk (sip.trunks)')
    .option(
      '--retry <outcome=delay_s:max_attempts>',
      'retry rule, e.g. busy=60:3 (repeatable)',
      collectRetry,
      {},
    )
    .action(async (opts: Record<string, unknown>) => {
      let body: Record<string, unknown> = {};
      if (typeof opts.file === 'string') {
        let text: string;
        try {
          text = readFileSync(opts.file, 'utf8');
        } catch (err) {
          throw new CallwrightError(
            'VALIDATION',
            `--file: cannot read ${opts.file}: ${(err as Error).message}`,
            [{ field: '--file', value: opts.file, expected: 'a readable YAML or JSON file' }],
          );
        }
        const parsed: unknown = parseYaml(text);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new CallwrightError('VALIDATION', `--file: ${opts.file} does not hold a campaign object`, [
            { field: '--file', value: opts.file, expected: 'a mapping with name, agent, contacts, …' },
          ]);
        body = parsed as Record<string, unknown>;
      }
      const contacts = { ...((body.contacts as object | undefined) ?? {}) } as Record<string, unknown>;
      if (typeof opts.list === 'string') contacts.list = opts.list;
      if (typeof opts.tag === 'string') contacts.tag = opts.tag;
      body = {
        ...body,
        contacts,
        ...(typeof opts.name === 'string' ? { name: opts.name } : {}),
        ...(typeof opts.agent === 'string' ? { agent: opts.agent } : {}),
        ...(typeof opts.trunk === 'string' ? { trunk: opts.trunk } : {}),
        ...(typeof opts.cps === 'string' ? { calls_per_second: num('--cps', opts.cps, false) } : {}),
        ...(typeof opts.concurrent === 'string'
          ? { max_concurrent: num('--concurrent', opts.concurrent, true) }
          : {}),
        ...(Object.keys(opts.retry as object).length
          ? { retry: { ...((body.retry as object | undefined) ?? {}), ...(opts.retry as object) } }
          : {}),
      };
      summary(await request<CampaignView>('POST', '/campaigns', body));
    });
}
