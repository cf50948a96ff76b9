import { Type, type TSchema } from '@sinclair/typebox';
import type { ToolDescription } from '../../actions/tool-description.js';
import { check } from '../../util/validate.js';
import type { ActionFiller, AgentCommand, AgentContext, AgentEvent } from '../agent.js';

/**
 * The tools a model-driven agent (llm, realtime) can call: the agent's attached actions with a tool
 * trigger, plus built-ins that drive the call itself. A tool call becomes an agent command carried out
 * with `ctx.perform`; its result goes back to the model as a typed JSON value. Bad model input (a
 * made-up name, arguments that are not JSON or do not fit the schema) is answered with a tool error the
 * model can read and correct, never an exception.
 */

export const BUILTIN_TOOLS = [
  'end_call',
  'transfer_call',
  'leave_voicemail',
  'send_dtmf',
  'collect_values',
] as const;
export type BuiltinTool = (typeof BUILTIN_TOOLS)[number];

/** One function call as the model made it. */
export interface ModelToolCall {
  id: string;
  name: string;
  /** The JSON text of the arguments, as the model wrote it. */
  arguments: string;
}

export interface ToolOutcome {
  /** What the model is told (the `tool` message / `function_call_output`). */
  output: Record<string, unknown>;
  /** The call left the agent (hung up, handed off): nothing more should be said or done. */
  ended: boolean;
  /** The tool is an attached action that failed (filler lines and tool-error counts use it). */
  failed?: boolean;
}

export interface ToolRunOptions {
  filler?: ActionFiller;
  background?: boolean;
}

export interface AgentToolbox {
  /** Attached actions first (in attachment order), then the built-ins. */
  descriptions(): ToolDescription[];
  /** Whether `name` is an attached action (not a built-in). */
  isAction(name: string): boolean;
  run(call: ModelToolCall, options?: ToolRunOptions): Promise<ToolOutcome>;
}

const Digits = Type.String({
  pattern: '^[0-9*#A-Da-dwW,]{1,64}$',
  description: 'Keys to press, e.g. "2" or "1234#"',
});

function builtinSchemas(
  targets: string[],
): Record<BuiltinTool, { description: string; parameters: TSchema }> {
  const target = targets.length
    ? Type.Union(
        targets.map((t) => Type.Literal(t)),
        { description: `One of: ${targets.join(', ')}` },
      )
    : Type.String({ minLength: 1, description: 'A phone number in E.164 form or a SIP URI' });
  return {
    end_call: {
      description:
        'Ends the call. Say goodbye first in `goodbye` (spoken before hanging up). Use when the caller is done or asks to hang up.',
      parameters: Type.Object(
        {
          goodbye: Type.Optional(Type.String({ maxLength: 500, description: 'Last words to the caller' })),
          reason: Type.Optional(
            Type.String({ maxLength: 200, description: 'Why the call ends (for the record)' }),
          ),
        },
        { additionalProperties: false },
      ),
    },
    transfer_call: {
      description:
        'Transfers the caller to a person or department. `cold` hands the call over at once; `warm` calls the target first and tells them who is coming. If it fails the caller stays with you and the result says why (busy, no answer, declined).',
      parameters: Type.Object(
        {
          target,
          mode: Type.Optional(
            Type.Union([Type.Literal('cold'), Type.Literal('warm')], { description: 'Default cold' }),
          ),
          summary: Type.Optional(
            Type.String({
              maxLength: 1000,
              description: 'Warm transfer: what the target is told before the caller joins',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    },
    leave_voicemail: {
      description: 'Lets the caller leave a voice message (recorded after a beep).',
      parameters: Type.Object({}, { additionalProperties: false }),
    },
    send_dtmf: {
      description:
        'Presses keys on the phone keypad (to navigate a phone menu on a call you placed). Listen to the menu first, then press the key for the option you need.',
      parameters: Type.Object({ digits: Digits }, { additionalProperties: false }),
    },
    collect_values: {
      description:
        'Stores facts learnt from the caller (name, account number, reason for calling, …) for the rest of the call and after it.',
      parameters: Type.Object(
        { values: Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$' }), Type.Unknown()) },
        { additionalProperties: false },
      ),
    },
  };
}

function plain(schema: TSchema): Record<string, unknown> {
  // TypeBox schemas carry symbol keys; a JSON round trip leaves plain JSON Schema.
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

function toolError(code: string, message: string): ToolOutcome {
  return { output: { ok: false, error: { code, message } }, ended: false, failed: true };
}

export function agentToolbox(
  ctx: AgentContext,
  options: { builtins?: readonly BuiltinTool[] } = {},
): AgentToolbox {
  const attached = ctx.tools();
  const attachedNames = new Set(attached.map((t) => t.name));
  const schemas = builtinSchemas(ctx.targets());
  // An attached action named like a built-in takes the name: the operator's definition wins.
  const builtins = (options.builtins ?? BUILTIN_TOOLS).filter((b) => !attachedNames.has(b));
  const all: ToolDescription[] = [
    ...attached,
    ...builtins.map((name) => ({
      name,
      description: schemas[name].description,
      parameters: plain(schemas[name].parameters),
    })),
  ];

  async function perform(command: AgentCommand): Promise<AgentEvent | undefined> {
    return ctx.perform(command);
  }

  return {
    descriptions: () => all,
    isAction: (name) => attachedNames.has(name),
    async run(call, runOptions = {}) {
      let args: unknown;
      try {
        args = call.arguments.trim() ? JSON.parse(call.arguments) : {};
      } catch (err) {
        return toolError('BAD_ARGUMENTS', `the arguments are not valid JSON (${(err as Error).message})`);
      }
      if (!args || typeof args !== 'object' || Array.isArray(args))
        return toolError('BAD_ARGUMENTS', 'the arguments must be a JSON object');
      const values = args as Record<string, unknown>;
      if (attachedNames.has(call.name)) {
        const r = await perform({
          type: 'action',
          name: call.name,
          args: values,
          ref: call.id,
          ...(runOptions.filler ? { filler: runOptions.filler } : {}),
          ...(runOptions.background ? { background: true } : {}),
        });
        return actionOutcome(r);
      }
      const builtin = builtins.find((b) => b === call.name);
      if (!builtin) {
        const names = all.map((t) => t.name).join(', ') || 'none';
        return toolError(
          'UNKNOWN_TOOL',
          `there is no tool named ${JSON.stringify(call.name)}; the tools are: ${names}`,
        );
      }
      const issues = check(schemas[builtin].parameters, values, 'arguments');
      if (issues.length)
        return toolError(
          'BAD_ARGUMENTS',
          issues.map((i) => `${i.field}: got ${JSON.stringify(i.value)}, expected ${i.expected}`).join('; '),
        );
      return runBuiltin(builtin, values, perform);
    },
  };
}

function actionOutcome(r: AgentEvent | undefined): ToolOutcome {
  if (r?.type !== 'action-result') return toolError('NOT_RUN', 'the action did not run (the call has ended)');
  if (r.pending)
    return {
      output: {
        ok: true,
        status: 'running',
        note: 'This runs in the background; its result will be given to you when it arrives. Carry on the conversation.',
      },
      ended: false,
    };
  if (r.ok) return { output: { ok: true, outputs: r.outputs ?? {} }, ended: false };
  return { ...toolError(r.error?.code ?? 'FAILED', r.error?.message ?? 'the action failed'), failed: true };
}

async function runBuiltin(
  name: BuiltinTool,
  args: Record<string, unknown>,
  perform: (c: AgentCommand) => Promise<AgentEvent | undefined>,
): Promise<ToolOutcome> {
  switch (name) {
    case 'end_call': {
      await perform({
        type: 'hangup',
        ...(typeof args.goodbye === 'string' && args.goodbye ? { say: args.goodbye } : {}),
        reason: typeof args.reason === 'string' && args.reason ? args.reason : 'agent ended the call',
      });
      return { output: { ok: true, status: 'call ended' }, ended: true };
    }
    case 'transfer_call': {
      const mode = args.mode === 'warm' ? 'warm' : 'cold';
      const r = await perform({
        type: 'transfer',
        target: String(args.target),
        mode,
        ...(mode === 'warm' && typeof args.summary === 'string'
          ? { options: { whisper: args.summary } }
          : {}),
      });
      if (r?.type !== 'transfer-result')
        return toolError('NOT_RUN', 'the transfer did not run (the call has ended)');
      if (r.outcome) {
        const o = r.outcome;
        return {
          output: {
            ok: o.handed_off,
            result: o.result,
            ...(o.reason || o.status ? { reason: transferReason(o.reason, o.status) } : {}),
            ...(o.status ? { sip_status: o.status } : {}),
            ...(o.handed_off ? {} : { note: 'The caller is still with you: tell them.' }),
          },
          ended: o.handed_off,
        };
      }
      return toolError(r.error?.code ?? 'FAILED', r.error?.message ?? 'the transfer could not start');
    }
    case 'leave_voicemail': {
      const r = await perform({ type: 'voicemail' });
      if (r?.type !== 'voicemail-result')
        return toolError('NOT_RUN', 'voicemail did not run (the call has ended)');
      if (r.outcome)
        return {
          output: r.outcome.saved
            ? { ok: true, saved: true, duration_ms: r.outcome.duration_ms }
            : { ok: false, saved: false, reason: r.outcome.reason },
          ended: false,
        };
      return toolError(r.error?.code ?? 'FAILED', r.error?.message ?? 'voicemail could not start');
    }
    case 'send_dtmf': {
      const r = await perform({ type: 'dtmf', digits: String(args.digits) });
      if (r?.type !== 'dtmf-result') return toolError('NOT_RUN', 'no keys were sent (the call has ended)');
      return r.ok
        ? { output: { ok: true, sent: r.sent ?? '' }, ended: false }
        : toolError(r.error?.code ?? 'FAILED', r.error?.message ?? 'the keys could not be sent');
    }
    case 'collect_values': {
      const values = args.values as Record<string, unknown>;
      await perform({ type: 'collect', values });
      return { output: { ok: true, stored: Object.keys(values) }, ended: false };
    }
  }
}

/**
 * Why a transfer failed, in the words a model repeats to the caller: the SIP final status decides
 * where there is one (RFC 3261 §21: 486/600 busy, 603 declined, 480/408/487 no answer).
 */
function transferReason(reason: string | undefined, status: number | undefined): string {
  if (status === 486 || status === 600) return 'busy';
  if (status === 603) return 'declined';
  if (status === 480 || status === 408 || status === 487) return 'no-answer';
  return reason ?? 'failed';
}
