import { Type, type Static } from '@sinclair/typebox';
import { assertValid } from '../util/validate.js';
import type { ActionEngine } from '../actions/action-engine.js';
import type { RunResult } from '../actions/action-runner.js';
import type { ActionSession, StageResult, ToolResult } from '../actions/action-session.js';
import { CALL_EVENT_NAMES, type CallEvent } from '../actions/triggers/trigger.js';
import type { AgentRecord } from '../store/store.js';
import { SimulatedAgent, type SimulatedAgentStep } from './simulated-agent.js';

const Obj = Type.Record(Type.String(), Type.Unknown());
const CallEventName = Type.Union(CALL_EVENT_NAMES.map((e) => Type.Literal(e)));

/** A scripted call: who calls, what is known, then events in order. */
export const SimulationScript = Type.Object(
  {
    call: Type.Optional(
      Type.Object(
        {
          direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
          from: Type.Optional(Type.String()),
          to: Type.Optional(Type.String()),
          contact: Type.Optional(Obj),
          data: Type.Optional(Obj),
          collected: Type.Optional(Obj),
        },
        { additionalProperties: false },
      ),
    ),
    events: Type.Array(
      Type.Union([
        CallEventName,
        Type.Object({ event: CallEventName }, { additionalProperties: false }),
        Type.Object({ say: Type.String() }, { additionalProperties: false }),
        Type.Object({ agent_says: Type.String() }, { additionalProperties: false }),
        Type.Object({ dtmf: Type.String({ pattern: '^[0-9*#A-Da-d]+$' }) }, { additionalProperties: false }),
        Type.Object({ tool: Type.String(), args: Type.Optional(Obj) }, { additionalProperties: false }),
        Type.Object({ collect: Obj }, { additionalProperties: false }),
        // The caller stays silent through the agent's gather (its timeout passes).
        Type.Object({ no_input: Type.Literal(true) }, { additionalProperties: false }),
      ]),
      { maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);
export type SimulationScript = Static<typeof SimulationScript>;

/** One action that would fire, with what it would send. */
export interface SimulatedRun {
  step: number;
  on: string;
  stage: string;
  action: string;
  type: string;
  trigger: RunResult['firedBy'];
  status: RunResult['status'];
  payload?: Record<string, unknown>;
  outputs: Record<string, unknown>;
  error?: RunResult['error'];
}

export interface SimulationResult {
  agent_id: string;
  runs: SimulatedRun[];
  /** Texts fired actions return (custom replies, fallback lines). */
  say: string[];
  /** What a scripted agent's own steps would do, in order (when the agent is given and scripted). */
  agent?: SimulatedAgentStep[];
}

type ScriptStep = SimulationScript['events'][number];

function describe(step: ScriptStep): string {
  if (typeof step === 'string') return step;
  if ('no_input' in step) return 'no input';
  if ('event' in step) return step.event;
  if ('say' in step) return `caller: ${step.say}`;
  if ('agent_says' in step) return `agent: ${step.agent_says}`;
  if ('dtmf' in step) return `dtmf ${step.dtmf}`;
  if ('tool' in step) return `tool ${step.tool}`;
  return 'collect';
}

function toEvent(step: ScriptStep): CallEvent | undefined {
  if (typeof step === 'string') return { type: step };
  if ('event' in step) return { type: step.event };
  if ('say' in step) return { type: 'transcript', text: step.say, speaker: 'caller', final: true };
  if ('agent_says' in step)
    return { type: 'transcript', text: step.agent_says, speaker: 'agent', final: true };
  if ('dtmf' in step) return { type: 'dtmf', digits: step.dtmf };
  return undefined;
}

/**
 * Runs a script through an agent's triggers and actions without side effects: nothing is executed
 * (types' `simulate` give pretend outputs so later templates render), no history, no outbox.
 * Stages: before at the start, during from `answered`, after at `ended` (or the script's end, or when
 * the agent hangs up). Given the agent record, a scripted agent's own steps run too, from `answered`:
 * its gathers take the script's keys and caller lines, its actions run as dry-run tools.
 */
export async function simulate(
  engine: ActionEngine,
  agentId: string,
  input: unknown,
  agent?: Pick<AgentRecord, 'kind' | 'config'>,
): Promise<SimulationResult> {
  const script = assertValid(SimulationScript, structuredClone(input ?? {}), 'script');
  const { session, out, record, tool } = await dryRunCall(engine, agentId, script.call);
  // Only a scripted agent's own steps are replayed against a script: other kinds answer caller lines
  // of their own making (`callwright test` talks to them with a simulated caller instead).
  const brain =
    agent?.kind === 'scripted'
      ? SimulatedAgent.for(agent, {
          session,
          templates: engine.templates,
          callTool: tool,
          transcript: async (text, speaker, step, on) =>
            record(step, on, await session.handleEvent({ type: 'transcript', text, speaker, final: true })),
        })
      : undefined;
  if (brain) out.agent = brain.steps;

  record(0, 'ringing', await session.runStage('before'));
  let ended = false;
  for (const [i, step] of script.events.entries()) {
    const on = describe(step);
    const n = i + 1;
    if (typeof step === 'object' && 'collect' in step) {
      Object.assign(session.collected, step.collect);
      continue;
    }
    if (typeof step === 'object' && 'no_input' in step) {
      await brain?.input({ kind: 'no_input' }, n, on);
    } else if (typeof step === 'object' && 'tool' in step) {
      await tool(step.tool, step.args ?? {}, n, on);
    } else {
      const event = toEvent(step) as CallEvent;
      if (event.type === 'ended') {
        ended = true;
        await brain?.input({ kind: 'hangup' }, n, on);
        record(n, on, await session.simulateAfterStage());
        continue;
      }
      const wasRinging = session.phase === 'ringing';
      record(n, on, await session.handleEvent(event));
      if (event.type === 'answered' && wasRinging) {
        record(n, on, await session.runStage('during'));
        await brain?.start(n, on);
      }
      if (event.type === 'dtmf') await brain?.input({ kind: 'dtmf', digits: event.digits }, n, on);
      if (event.type === 'transcript' && event.speaker === 'caller')
        await brain?.input({ kind: 'speech', text: event.text }, n, on);
    }
    if (brain?.hungUp) {
      // The agent ended the call: later script events cannot happen.
      ended = true;
      record(n, 'agent hung up', await session.simulateAfterStage());
      break;
    }
  }
  if (!ended) record(script.events.length + 1, 'end of script', await session.simulateAfterStage());
  return out;
}

/** The call fields a dry run starts from (a script's or a scenario's `call`). */
export type DryRunCallInit = NonNullable<SimulationScript['call']>;

/** How a dry-run call runs an agent's tool call: validated, run as a dry run, recorded. */
export type DryRunTool = (
  name: string,
  args: Record<string, unknown>,
  step: number,
  on: string,
) => Promise<ToolResult>;

/**
 * A dry-run action session for one simulated call and the list its runs are recorded into: `record`
 * keeps a stage's runs and lines, `tool` runs an agent's tool call (arguments validated, refused calls
 * recorded as failed or skipped runs).
 */
export async function dryRunCall(
  engine: ActionEngine,
  agentId: string,
  c: DryRunCallInit = {},
): Promise<{
  session: ActionSession;
  out: SimulationResult;
  record: (step: number, on: string, r: StageResult) => void;
  tool: DryRunTool;
}> {
  const session = await engine.session({
    agentId,
    callId: 'call_simulated',
    direction: c.direction ?? 'inbound',
    from: c.from ?? '+15555550100',
    to: c.to ?? '+15555550199',
    contact: c.contact ?? {},
    data: c.data ?? {},
    collected: c.collected ?? {},
    dryRun: true,
  });
  const out: SimulationResult = { agent_id: agentId, runs: [], say: [] };
  const record = (step: number, on: string, r: StageResult): void => {
    out.say.push(...r.say);
    for (const run of r.runs) {
      out.runs.push({
        step,
        on,
        stage: run.stage,
        action: run.action,
        type: run.type,
        trigger: run.firedBy,
        status: run.status,
        ...(run.rendered ? { payload: run.rendered } : {}),
        outputs: run.outputs,
        ...(run.error ? { error: run.error } : {}),
      });
    }
  };
  const tool: DryRunTool = async (name, args, step, on) => {
    const res = await session.callTool(name, args);
    if (!res.ok && (res.error.code === 'VALIDATION' || res.error.code === 'NOT_FOUND')) {
      // Refused before any run started: bad arguments fail, an unknown tool is skipped.
      out.runs.push({
        step,
        on,
        stage: 'during',
        action: name,
        type: '',
        trigger: { kind: 'tool', name },
        status: res.error.code === 'VALIDATION' ? 'failed' : 'skipped',
        outputs: {},
        error: res.error,
      });
    } else {
      record(step, on, lastToolRun(session, res));
    }
    return res;
  };
  return { session, out, record, tool };
}

/** The session reports tool runs through `lastToolRun`; rebuild a stage result for printing. */
function lastToolRun(session: ActionSession, res: { say?: string }): StageResult {
  const run = session.lastToolRun;
  return { runs: run ? [run] : [], say: res.say ? [res.say] : [], aborted: false, timedOut: false };
}
