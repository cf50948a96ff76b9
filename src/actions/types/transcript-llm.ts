import { type ActionContext } from '../action-type.js';
import {
  LlmError,
  structuredReply,
  type ChatClient,
  type ChatTool,
} from '../../integrations/llm/chat-client.js';
import {
  callTranscript,
  parseTranscript,
  transcriptText,
  type TranscriptLine,
} from '../../integrations/llm/call-transcript.js';
import { ActionError } from '../../errors.js';

/** The configured text, else the call's final transcript lines. */
export async function transcriptOf(ctx: ActionContext<{ transcript: string }>): Promise<TranscriptLine[]> {
  if (ctx.config.transcript.trim()) return parseTranscript(ctx.config.transcript);
  return ctx.callId ? callTranscript(ctx.services.store, ctx.callId) : [];
}

/** LLM failures keep their code, the provider's message and whether a retry may help. */
export function llmFailure(err: unknown): unknown {
  if (err instanceof LlmError) {
    return new ActionError(err.code, err.message, err.retryable, err.status ? { status: err.status } : {});
  }
  return err;
}

/**
 * Sends the transcript to the LLM under `system` and forces one call of `tool`; resolves with the
 * tool's arguments. Any LLM failure becomes an ActionError that keeps its code and retryability.
 */
export async function askToolAboutTranscript(
  client: ChatClient,
  system: string,
  lines: readonly TranscriptLine[],
  tool: ChatTool,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  try {
    const reply = await client.complete({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: transcriptText(lines) || '(empty transcript)' },
      ],
      tools: [tool],
      toolChoice: tool.name,
      signal,
    });
    return structuredReply(reply, tool.name);
  } catch (err) {
    throw llmFailure(err);
  }
}
