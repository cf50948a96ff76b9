import type { ActionEngine } from '../../actions/action-engine.js';
import type { StageResult } from '../../actions/action-session.js';
import type { Agent } from '../agent.js';
import { dryRunCall, type DryRunCallInit, type SimulatedRun } from '../simulation.js';
import { SimulatedAgent, type SimulatedAgentStep } from '../simulated-agent.js';
import type { CallerSimulator } from './caller-simulator.js';

/** One moment of a simulated call, in the order it happened. */
export type ConversationEntry =
  | { turn: number; kind: 'line'; speaker: 'agent' | 'caller'; text: string }
  /** An action run: a tool call of the agent's, or an attachment its trigger fired (dry run). */
  | { turn: number; kind: 'action'; run: SimulatedRun; args?: Record<string, unknown> }
  | { turn: number; kind: 'transfer'; target: string; mode: string }
  | { turn: number; kind: 'voicemail' }
  | { turn: number; kind: 'dtmf'; digits: string }
  | { turn: number; kind: 'error'; message: string };

/** Why a simulated call ended. */
export type ConversationEnd = 'caller-hangup' | 'agent-hangup' | 'handed-off' | 'max-turns' | 'agent-error';

export const END_DESCRIPTIONS: Record<ConversationEnd, string> = {
  'caller-hangup': 'the caller hung up',
  'agent-hangup': 'the agent hung up',
  'handed-off': 'the agent transferred the caller',
  'max-turns': 'the caller turn limit was reached',
  'agent-error': 'the agent failed',
};

/** A tool call of the agent's: what it asked for and what the dry run answered. */
export interface ToolCallRecord {
  turn: number;
  name: string;
  args: Record<string, unknown>;
  status: SimulatedRun['status'];
  outputs: Record<string, unknown>;
  error?: SimulatedRun['error'];
}

/** The agent's tool calls among a call's entries. */
export function toolCallsOf(entries: readonly ConversationEntry[]): ToolCallRecord[] {
  return entries.flatMap((e) =>
    e.kind === 'action' && e.args
      ? [
          {
            turn: e.turn,
            name: e.run.action,
            args: e.args,
            status: e.run.status,
            outputs: e.run.outputs,
            ...(e.run.error ? { error: e.run.error } : {}),
          },
        ]
      : [],
  );
}

export interface Conversation {
  ended: ConversationEnd;
  /** Caller turns taken. */
  turns: number;
  entries: ConversationEntry[];
  /** Every action run of the call (before, during and after stages, tool calls), as `simulate` reports them. */
  runs: SimulatedRun[];
  /** What the agent did, step by step, as `simulate` reports it. */
  agent: SimulatedAgentStep[];
}

export interface ConversationInit {
  engine: ActionEngine;
  agentId: string;
  agent: Agent;
  caller: CallerSimulator;
  maxTurns: number;
  call?: DryRunCallInit;
  /** The agent's named transfer targets. */
  targets?: string[];
  signal?: AbortSignal;
}

/**
 * Runs one simulated call in text: the caller's model speaks, each line reaches the agent as a final
 * caller transcript event (or a gather's speech result), the agent's spoken lines go back to the
 * caller's model. Actions run as dry runs through the agent's triggers and tool calls; transfers and
 * voicemail are assumed to succeed. Ends when the caller says `[hangup]`, the agent hangs up or fails,
 * a transfer hands the caller off, or after `maxTurns` caller turns; the after stage then runs.
 */
export async function converse(init: ConversationInit): Promise<Conversation> {
  const { engine, agentId, caller, maxTurns } = init;
  const { session, out, record: recordStage, tool } = await dryRunCall(engine, agentId, init.call ?? {});
  const entries: ConversationEntry[] = [];
  let turn = 0;
  let heard: string[] = [];
  let callerGone = false;
  const agentLine = (text: string): void => {
    const line = text.trim();
    // What the agent says after the caller hung up reaches nobody.
    if (!line || callerGone) return;
    entries.push({ turn, kind: 'line', speaker: 'agent', text: line });
    heard.push(line);
  };
  // Stage runs and their lines (custom replies, fallback messages the call would speak).
  const record = (step: number, on: string, r: StageResult): void => {
    const first = out.runs.length;
    recordStage(step, on, r);
    for (const run of out.runs.slice(first)) entries.push({ turn, kind: 'action', run });
    r.say.forEach(agentLine);
  };
  const brain = SimulatedAgent.of(init.agent, {
    session,
    templates: engine.templates,
    targets: init.targets ?? [],
    callTool: async (name, args, step, on) => {
      const first = out.runs.length;
      const res = await tool(name, args, step, on);
      for (const run of out.runs.slice(first)) entries.push({ turn, kind: 'action', run, args });
      if (res.say) agentLine(res.say);
      return res;
    },
    transcript: async (text, speaker, step, on) =>
      record(step, on, await session.handleEvent({ type: 'transcript', text, speaker, final: true })),
    onStep: (s) => {
      if (typeof s.say === 'string') agentLine(s.say);
      const gather = s.gather as { prompt?: string } | undefined;
      if (gather?.prompt) agentLine(gather.prompt);
      const hangup = s.hangup as { say?: string } | undefined;
      if (hangup?.say) agentLine(hangup.say);
      const transfer = s.transfer as { target: string; mode: string } | undefined;
      if (transfer) entries.push({ turn, kind: 'transfer', target: transfer.target, mode: transfer.mode });
      if (s.voicemail) entries.push({ turn, kind: 'voicemail' });
      if (typeof s.dtmf === 'string') entries.push({ turn, kind: 'dtmf', digits: s.dtmf });
      if (typeof s.error === 'string') entries.push({ turn, kind: 'error', message: s.error });
    },
  });
  if (!brain) throw new Error('the agent hears the call audio itself: it cannot be tested with text');

  // The agent's lines of this turn reach its intent triggers as a real call's transcript does (a line a
  // fired action returns is heard too, and checked in turn).
  let fed = 0;
  const feedAgentLines = async (): Promise<void> => {
    for (; fed < heard.length; fed++) {
      const line = heard[fed]!;
      const event = { type: 'transcript', text: line, speaker: 'agent', final: true } as const;
      record(turn, `agent: ${line}`, await session.handleEvent(event));
    }
  };

  record(0, 'ringing', await session.runStage('before'));
  record(0, 'answered', await session.handleEvent({ type: 'answered' }));
  record(0, 'answered', await session.runStage('during'));
  await brain.start(0, 'answered');
  await feedAgentLines();

  let ended: ConversationEnd | undefined;
  const agentEnded = (): ConversationEnd | undefined =>
    entries.some((e) => e.kind === 'error')
      ? 'agent-error'
      : brain.handedOff
        ? 'handed-off'
        : brain.hungUp
          ? 'agent-hangup'
          : undefined;
  while (!(ended = agentEnded()) && turn < maxTurns) {
    init.signal?.throwIfAborted();
    const reply = await caller.reply(heard, init.signal);
    heard = [];
    fed = 0;
    turn += 1;
    const on = reply.text ? `caller: ${reply.text}` : reply.hangup ? 'caller hung up' : 'no input';
    if (reply.text) {
      entries.push({ turn, kind: 'line', speaker: 'caller', text: reply.text });
      record(
        turn,
        on,
        await session.handleEvent({ type: 'transcript', text: reply.text, speaker: 'caller', final: true }),
      );
    }
    if (reply.hangup) {
      callerGone = true;
      await brain.input({ kind: 'hangup' }, turn, on);
      ended = 'caller-hangup';
      break;
    }
    await brain.input(reply.text ? { kind: 'speech', text: reply.text } : { kind: 'no_input' }, turn, on);
    await feedAgentLines();
  }
  ended ??= agentEnded() ?? 'max-turns';
  record(turn + 1, 'ended', await session.simulateAfterStage());
  return { ended, turns: turn, entries, runs: out.runs, agent: brain.steps };
}
