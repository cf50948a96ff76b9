import type { ComponentChildren } from 'preact';

/** How a badge reads at a glance: done well, under way, went wrong, or neither. */
export type Tone = 'ok' | 'active' | 'bad' | 'neutral';

const TONES: Record<string, Tone> = {
  answered: 'ok',
  succeeded: 'ok',
  delivered: 'ok',
  enabled: 'ok',
  ringing: 'active',
  running: 'active',
  queued: 'active',
  pending: 'active',
  processing: 'active',
  failed: 'bad',
  dead: 'bad',
  disabled: 'bad',
};

/** A small rounded label; `tone` colours it. */
export function Badge({
  tone = 'neutral',
  class: extra,
  children,
}: {
  tone?: Tone;
  class?: string;
  children: ComponentChildren;
}) {
  return <span class={['badge', tone, extra].filter(Boolean).join(' ')}>{children}</span>;
}

/**
 * A call's state or a run's status as a badge, toned by its meaning. The `state-…`/`status-…` class
 * names the value for selectors (a page's test waits for `.badge.state-ended`).
 */
export function StatusBadge({ kind, value }: { kind: 'state' | 'status'; value: string }) {
  return (
    <Badge tone={TONES[value] ?? 'neutral'} class={`${kind}-${value}`}>
      {value}
    </Badge>
  );
}

/** An action or attachment that runs (enabled) or is skipped (disabled). */
export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return <Badge tone={enabled ? 'ok' : 'bad'}>{enabled ? 'enabled' : 'disabled'}</Badge>;
}
