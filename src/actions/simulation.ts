import { Type, type Static } from '@sinclair/typebox';
import { assertValid } from '../util/validate.js';
import type { ActionEngine } from './action-engine.js';
import type { RunResult } from './action-runner.js';
import type { StageResult } from './action-session.js';
import { CALL_EVENT_NAMES, type CallEvent } from './triggers/trigger.js';

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
  say: string[];
}

function describe(step: SimulationScript['events'][number]): string {
  if (typeof step === 'string') return step;
  if ('event' in step) return step.event;
  if ('say' in step) return `caller: ${step.say}`;
  if ('agent_says' in step) return `agent: ${step.agent_says}`;
  if ('dtmf' in step) return `dtmf ${step.dtmf}`;
  if ('tool' in step) return `tool ${step.tool}`;
  return 'collect';
}

function toEvent(step: SimulationScript['events'][number]): CallEvent | undefined {
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
 * Stages: before at the start, during from `answered`, after at `ended` (or the script's end).
 */
export async function simulate(
  engine: ActionEngine,
  agentId: string,
  input: unknown,
): Promise<SimulationResult> {
  const script = assertValid(SimulationScript, structuredClone(input ?? {}), 'script');
  const c = script.call ?? {};
  const session = engine.session({
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
  record(0, 'ringing', await session.runStage('before'));
  let ended = false;
  for (const [i, step] of script.events.entries()) {
    const on = describe(step);
    if (typeof step === 'object' && 'collect' in step) {
      Object.assign(session.collected, step.collect);
      continue;
    }
    if (typeof step === 'object' && 'tool' in step) {
      const res = await session.callTool(step.tool, step.args ?? {});
      if (!res.ok && (res.error.code === 'VALIDATION' || res.error.code === 'NOT_FOUND')) {
        // Refused before any run started: bad arguments fail, an unknown tool is skipped.
        out.runs.push({
          step: i + 1,
          on,
          stage: 'during',
          action: step.tool,
          type: '',
          trigger: { kind: 'tool', name: step.tool },
          status: res.error.code === 'VALIDATION' ? 'failed' : 'skipped',
          outputs: {},
          error: res.error,
        });
      } else {
        record(i + 1, on, lastToolRun(session, res));
      }
      continue;
    }
    const event = toEvent(step) as CallEvent;
    if (event.type === 'ended') {
      ended = true;
      record(i + 1, on, await session.simulateAfterStage());
      continue;
    }
    const wasRinging = session.phase === 'ringing';
    record(i + 1, on, await session.handleEvent(event));
    if (event.type === 'answered' && wasRinging) record(i + 1, on, await session.runStage('during'));
  }
  if (!ended) record(script.events.length + 1, 'end of script', await session.simulateAfterStage());
  return out;
}

/** The session reports tool runs through `lastToolRun`; rebuild a stage result for printing. */
function lastToolRun(session: ReturnType<ActionEngine['session']>, res: { say?: string }): StageResult {
  const run = session.lastToolRun;
  return { runs: run ? [run] : [], say: res.say ? [res.say] : [], aborted: false, timedOut: false };
}
