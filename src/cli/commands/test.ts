import { readFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { createAgent } from '../../agent/create-agent.js';
import {
  conversationText,
  parseScenarioFile,
  runScenarios,
  type RunReport,
  type ScenarioReport,
  type TestReport,
} from '../../agent/testing/index.js';
import type { Config } from '../../config/schema.js';
import { CallwrightError, notFound } from '../../errors.js';
import { OpenAiChatClient, type ChatClient } from '../../integrations/llm/chat-client.js';
import { formatError, loadCliConfig, openStore, type Io } from '../context.js';
import { cliEngine } from './actions.js';

/** Exit codes: the pass rate reached the threshold, fell below it, or the input was bad. */
const EXIT_BELOW_THRESHOLD = 1;
const EXIT_BAD_INPUT = 2;

/** The caller's default temperature: some variety between runs of one scenario, still on brief. */
const CALLER_TEMPERATURE = 0.7;

interface TestOptions {
  scenarios?: string;
  runs?: string;
  threshold?: string;
  json?: boolean;
  mode: string;
  callerModel?: string;
  allowWebhook?: boolean;
}

export function testCommand(program: Command, io: Io): void {
  program
    .command('test <agent>')
    .description(
      "Test an agent with simulated callers: an LLM plays each scenario's caller (persona, goal) in a text call with the agent (actions as dry runs, no side effects), an LLM judges each call against the expected outcome; exit 0 when the pass rate reaches the threshold, 1 below it, 2 for bad input",
    )
    .option(
      '-s, --scenarios <file>',
      'YAML file: scenarios (name, persona, goal, expected, criteria), runs, threshold, caller',
    )
    .option('--runs <n>', "runs of every scenario (overrides the file's runs)")
    .option('--threshold <rate>', "pass rate 0-1 the test needs (overrides the file's threshold)")
    .option('--mode <mode>', 'how the caller talks to the agent: text', 'text')
    .option('--caller-model <model>', "the caller's model (default: the file's caller.model, else llm.model)")
    .option('--allow-webhook', "test a webhook agent too (each turn POSTs to the agent's server)")
    .option('--json', 'print one JSON document')
    .action(async (agentRef: string, opts: TestOptions) => {
      let report: TestReport;
      try {
        report = await runTest(program, io, agentRef, opts);
      } catch (err) {
        io.err(formatError(err));
        throw new CommanderError(EXIT_BAD_INPUT, 'callwright.test.input', (err as Error).message);
      }
      if (opts.json) io.out(JSON.stringify(report, null, 2));
      else printReport(io, report);
      if (!report.ok) {
        throw new CommanderError(EXIT_BELOW_THRESHOLD, 'callwright.test.failed', 'pass rate below threshold');
      }
    });
}

async function runTest(program: Command, io: Io, agentRef: string, opts: TestOptions): Promise<TestReport> {
  if (opts.mode !== 'text') {
    throw badOption('--mode', opts.mode, 'text');
  }
  const runs = opts.runs === undefined ? undefined : integerOption('--runs', opts.runs);
  const threshold = opts.threshold === undefined ? undefined : rateOption('--threshold', opts.threshold);
  if (!opts.scenarios) throw badOption('--scenarios', undefined, 'a YAML scenario file');
  let text: string;
  try {
    text = readFileSync(opts.scenarios, 'utf8');
  } catch (err) {
    throw new CallwrightError('VALIDATION', `cannot read ${opts.scenarios}: ${(err as Error).message}`, [
      { field: '--scenarios', value: opts.scenarios, expected: 'a readable YAML file' },
    ]);
  }
  const file = parseScenarioFile(text, opts.scenarios);
  const config = loadCliConfig(program.opts());
  const judge = llmClient(config);
  const caller = llmClient(config, {
    model: opts.callerModel ?? file.caller.model,
    temperature: file.caller.temperature ?? CALLER_TEMPERATURE,
  });
  const store = await openStore(config);
  try {
    const agent = await store.agents.byIdOrName(agentRef);
    if (!agent) throw notFound('agent', agentRef);
    if (agent.kind === 'webhook' && !opts.allowWebhook) {
      throw new CallwrightError(
        'VALIDATION',
        `agent ${JSON.stringify(agent.name)} is a webhook agent: each simulated turn would POST to its server, which may act on it; pass --allow-webhook to test it anyway`,
        [{ field: 'agent', value: agent.name, expected: 'a non-webhook agent, or --allow-webhook' }],
      );
    }
    // An llm agent without its own base URL and model talks to the server's, as on a real call.
    const agentDeps = { llm: config.llm };
    // Built once up front so a config error is bad input, not a failed run.
    if (createAgent(agent, agentDeps).hearsAudio) {
      throw new CallwrightError(
        'VALIDATION',
        `agent ${JSON.stringify(agent.name)} hears the call's audio itself: text mode cannot test it`,
        [{ field: '--mode', value: opts.mode, expected: 'an agent that takes transcript lines' }],
      );
    }
    return await runScenarios({
      engine: cliEngine(store, config),
      agent,
      buildAgent: () => createAgent(agent, agentDeps),
      caller,
      judge,
      file,
      ...(runs !== undefined ? { runs } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      onRun: (scenario, r) => {
        if (io.tty && !opts.json) io.err(`${scenario.name}: run ${r.run} ${r.passed ? 'passed' : 'failed'}`);
      },
    });
  } finally {
    await store.close();
  }
}

/** The server's LLM (`llm` settings), the simulated caller and the judge both talk to it. */
function llmClient(
  config: Config,
  over: { model?: string | undefined; temperature?: number } = {},
): ChatClient {
  const { llm } = config;
  if (!llm.base_url) {
    throw new CallwrightError(
      'VALIDATION',
      'no LLM configured: the simulated caller and the judge need llm.base_url and llm.model (config file or CALLWRIGHT_LLM_BASE_URL / CALLWRIGHT_LLM_MODEL)',
      [{ field: 'llm.base_url', value: '', expected: 'an OpenAI-compatible API base URL (…/v1)' }],
    );
  }
  const model = over.model ?? llm.model;
  if (!model) {
    throw new CallwrightError(
      'VALIDATION',
      'llm.model: missing, expected a model name when llm.base_url is set',
      [{ field: 'llm.model', value: '', expected: 'a model name such as gpt-4o-mini (or --caller-model)' }],
    );
  }
  return new OpenAiChatClient({
    ...llm,
    model,
    ...(over.temperature !== undefined ? { temperature: over.temperature } : {}),
  });
}

function badOption(option: string, value: unknown, expected: string): CallwrightError {
  const got = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
  return new CallwrightError('VALIDATION', `${option}: ${got}, expected ${expected}`, [
    { field: option, ...(value === undefined ? {} : { value }), expected },
  ]);
}

function integerOption(option: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100) throw badOption(option, value, 'an integer 1-100');
  return n;
}

function rateOption(option: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw badOption(option, value, 'a pass rate from 0 to 1 (e.g. 0.8)');
  }
  return n;
}

const percent = (rate: number): string => `${Math.round(rate * 100)}%`;

function printReport(io: Io, report: TestReport): void {
  const { agent } = report;
  io.out(`agent ${agent.name} (${agent.kind}, ${agent.id})`);
  for (const s of report.scenarios) printScenario(io, s);
  io.out(
    `${report.ok ? 'PASSED' : 'FAILED'}: ${report.passed}/${report.runs} runs passed (${percent(report.pass_rate)}), threshold ${percent(report.threshold)}`,
  );
}

function printScenario(io: Io, s: ScenarioReport): void {
  io.out(
    `${s.passed === s.runs ? 'PASS' : 'FAIL'} ${s.name}: ${s.passed}/${s.runs} runs passed (${percent(s.pass_rate)})`,
  );
  for (const r of s.results) if (!r.passed) printFailedRun(io, r);
}

function printFailedRun(io: Io, r: RunReport): void {
  const how = r.ended ? `, ended: ${r.ended} after ${r.turns} caller turns` : '';
  io.out(`  run ${r.run} failed${how}`);
  if (r.error) io.out(`    error: ${r.error}`);
  if (r.ended) {
    io.out('    transcript:');
    for (const line of conversationText({ entries: r.transcript, ended: r.ended }).split('\n'))
      io.out(`      ${line}`);
  }
  if (r.tool_calls.length) {
    io.out('    tool calls:');
    for (const t of r.tool_calls) {
      const result = t.error ? `${t.status}: ${t.error.message}` : `${t.status} ${JSON.stringify(t.outputs)}`;
      io.out(`      ${t.name}(${JSON.stringify(t.args)}) -> ${result}`);
    }
  }
  if (r.verdict) {
    io.out(`    judge (score ${r.verdict.score}):`);
    for (const reason of r.verdict.reasons) io.out(`      ${reason}`);
  }
}
