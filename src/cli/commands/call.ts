import type { Command } from 'commander';
import { CallwrightError, ErrorCodes, type ErrorCode } from '../../errors.js';
import { apiTarget, loadCliConfig, type Io } from '../context.js';

function collectVar(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) {
    throw new CallwrightError('VALIDATION', `--var: got ${JSON.stringify(value)}, expected key=value`, [
      { field: '--var', value, expected: 'key=value (repeat for more)' },
    ]);
  }
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/**
 * `callwright call AGENT NUMBER`: asks the running server (its admin API) to place the call, since the
 * telephony backend lives in that process. The key comes from --api-key or CALLWRIGHT_API_KEY.
 */
export function callCommand(program: Command, io: Io, fetchImpl: typeof fetch = fetch): void {
  program
    .command('call <agent> <number>')
    .description(
      'Place an outbound call with an agent through the running server (trunk, DNC and calling hours checked first)',
    )
    .option('--var <key=value>', 'integration variable, data.<key> in templates (repeatable)', collectVar, {})
    .option('--from <callerId>', 'caller id (From user)')
    .option('--trunk <name>', 'trunk to dial through (sip.trunks)')
    .option('--amd', "detect answering machines on this call, whatever the agent's amd setting says")
    .option('--no-amd', 'no answering-machine detection on this call')
    .option('--api-url <url>', 'admin API of the running server (default from api.host/api.port)')
    .option('--api-key <key>', 'API key (default: CALLWRIGHT_API_KEY)')
    .action(async (agent: string, number: string, opts: Record<string, unknown>) => {
      const { base, key } = apiTarget(loadCliConfig(program.opts()), opts);
      const body = {
        agent,
        to: number,
        variables: opts.var as Record<string, string>,
        ...(opts.from ? { from: String(opts.from) } : {}),
        ...(opts.trunk ? { trunk: String(opts.trunk) } : {}),
        ...(typeof opts.amd === 'boolean' ? { amd: opts.amd } : {}),
      };
      let res: Response;
      try {
        res = await fetchImpl(`${base}/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (err) {
        throw new CallwrightError(
          'UNAVAILABLE',
          `cannot reach the server at ${base}: ${(err as Error).message}`,
        );
      }
      const reply = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.status !== 202) {
        const code =
          typeof reply.code === 'string' && reply.code in ErrorCodes ? (reply.code as ErrorCode) : 'INTERNAL';
        throw new CallwrightError(code, String(reply.message ?? `HTTP ${res.status}`));
      }
      io.out(`call ${String(reply.call_id)} ${String(reply.state)}`);
    });
}
