import type { LlmSettings } from '../../config/schema.js';
import { CallwrightError } from '../../errors.js';
import { OpenAiChatClient, type ChatClient } from './chat-client.js';
import { createSummarizer, type Summarizer } from './summarizer.js';

/**
 * The `llm` and `summarizer` entries of the action services bag, from the `llm` config section.
 * Compose with: `new ActionEngine({ …, services: { ...createLlmServices(config.llm), … } })`.
 * With no base_url there is no `llm`, and the summarizer is extractive.
 */
export function createLlmServices(
  settings: LlmSettings,
  fetchFn?: typeof fetch,
): { llm?: ChatClient; summarizer: Summarizer } {
  if (!settings.base_url) return { summarizer: createSummarizer() };
  if (!settings.model) {
    throw new CallwrightError(
      'CONFIG_INVALID',
      'llm.model: missing, expected a model name when llm.base_url is set',
      [{ field: 'llm.model', value: settings.model, expected: 'a model name such as gpt-4o-mini' }],
    );
  }
  const llm = new OpenAiChatClient(settings, fetchFn);
  return { llm, summarizer: createSummarizer(llm) };
}

function isChatClient(value: unknown): value is ChatClient {
  return !!value && typeof (value as ChatClient).complete === 'function';
}

/** The chat client in a services bag, if one was composed in. */
export function chatClientOf(services: Record<string, unknown>): ChatClient | undefined {
  return isChatClient(services.llm) ? services.llm : undefined;
}

/** The summarizer in a services bag, else one over its chat client (or extractive). */
export function summarizerOf(services: Record<string, unknown>): Summarizer {
  const given = services.summarizer;
  if (given && typeof (given as Summarizer).summarize === 'function') return given as Summarizer;
  return createSummarizer(chatClientOf(services));
}
