import type { ActionEngine } from '../../actions/action-engine.js';
import type { ChatClient } from '../../integrations/llm/chat-client.js';
import type { Agent } from '../agent.js';
import type { SimulatedRun } from '../simulation.js';
import {
  converse,
  toolCallsOf,
  type ConversationEnd,
  type ConversationEntry,
  type ToolCallRecord,
} from './caller-conversation.js';
import { CallerSimulator } from './caller-simulator.js';
import { judgeConversation, type Verdict } from './caller-judge.js';
import type { Scenario, ScenarioFile } from './scenario-schema.js';

/** One simulated call of one scenario and its verdict. */
export interface RunReport {
  run: number;
  passed: boolean;
  /** Why the call ended; absent when the run failed before or during the call (`error`). */
  ended?: ConversationEnd;
  turns: number;
  transcript: ConversationEntry[];
  /** The agent's tool calls (dry runs): arguments, status, outputs. */
  tool_calls: ToolCallRecord[];
  /** Every action run (dry run) of the call: stages, triggers, tool calls. */
  actions: SimulatedRun[];
  verdict?: Verdict;
  /** What stopped the run (the caller's model unreachable, a malformed verdict, …): the run fails. */
  error?: string;
}

export interface ScenarioReport {
  name: string;
  runs: number;
  passed: number;
  pass_rate: number;
  results: RunReport[];
}

export interface TestReport {
  agent: { id: string; name: string; kind: string };
  threshold: number;
  runs: number;
  passed: number;
  /** Passed runs over all runs of all scenarios. */
  pass_rate: number;
  /** The pass rate reaches the threshold. */
  ok: boolean;
  scenarios: ScenarioReport[];
}

export interface ScenarioTestInit {
  engine: ActionEngine;
  agent: { id: string; name: string; kind: string; targets?: Record<string, unknown> };
  /** A fresh agent for each simulated call (agents keep per-call state). */
  buildAgent: () => Agent;
  /** The caller's model. */
  caller: ChatClient;
  /** The judge's model; undefined = keyword criteria only. */
  judge: ChatClient | undefined;
  file: ScenarioFile;
  /** Overrides every scenario's run count (the command line's `--runs`). */
  runs?: number;
  /** Overrides the file's threshold. */
  threshold?: number;
  /** Told of each run as it finishes (progress). */
  onRun?: (scenario: Scenario, report: RunReport) => void;
  signal?: AbortSignal;
}

/**
 * Runs each scenario of a file against an agent, `runs` times each, one simulated call at a time: a
 * caller model plays the persona towards the goal, the judge checks the call against the expected
 * outcome and the scenario's criteria. The test passes when passed runs over all runs reach the threshold.
 */
export async function runScenarios(init: ScenarioTestInit): Promise<TestReport> {
  const scenarios: ScenarioReport[] = [];
  for (const scenario of init.file.scenarios) {
    const count = init.runs ?? scenario.runs ?? init.file.runs;
    const results: RunReport[] = [];
    for (let run = 1; run <= count; run++) {
      const report = await runOnce(init, scenario, run);
      results.push(report);
      init.onRun?.(scenario, report);
    }
    const passed = results.filter((r) => r.passed).length;
    scenarios.push({ name: scenario.name, runs: count, passed, pass_rate: rate(passed, count), results });
  }
  const runs = scenarios.reduce((n, s) => n + s.runs, 0);
  const passed = scenarios.reduce((n, s) => n + s.passed, 0);
  const threshold = init.threshold ?? init.file.threshold;
  const passRate = rate(passed, runs);
  const { id, name, kind } = init.agent;
  return {
    agent: { id, name, kind },
    threshold,
    runs,
    passed,
    pass_rate: passRate,
    ok: passRate >= threshold,
    scenarios,
  };
}

async function runOnce(init: ScenarioTestInit, scenario: Scenario, run: number): Promise<RunReport> {
  let conversation;
  try {
    conversation = await converse({
      engine: init.engine,
      agentId: init.agent.id,
      agent: init.buildAgent(),
      caller: new CallerSimulator(init.caller, scenario),
      maxTurns: scenario.max_turns,
      targets: Object.keys(init.agent.targets ?? {}),
      ...(scenario.call ? { call: scenario.call } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (err) {
    return {
      run,
      passed: false,
      turns: 0,
      transcript: [],
      tool_calls: [],
      actions: [],
      error: `call: ${message(err)}`,
    };
  }
  const base = {
    run,
    ended: conversation.ended,
    turns: conversation.turns,
    transcript: conversation.entries,
    tool_calls: toolCallsOf(conversation.entries),
    actions: conversation.runs,
  };
  try {
    const verdict = await judgeConversation(init.judge, scenario, conversation, init.signal);
    return { ...base, passed: verdict.passed, verdict };
  } catch (err) {
    return { ...base, passed: false, error: `judge: ${message(err)}` };
  }
}

function rate(passed: number, total: number): number {
  return total ? Math.round((passed / total) * 1000) / 1000 : 0;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
