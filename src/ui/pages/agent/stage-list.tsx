import { useEffect, useRef, useState } from 'preact/hooks';
import { linkHandler } from '../../router.js';
import type { ActionStatsItem } from '../actions.js';
import { millis, percent } from '../../components/format.js';
import type { Attachment, Stage } from './attachments-panel.js';
import { moved } from './reorder.js';
import { EnabledBadge } from '../../components/status-badge.js';

/**
 * One stage's attachments as an ordered list. Reorder by HTML5 drag and drop (drop an action on another
 * to take its place) or by the move buttons, which work from the keyboard.
 */
export function StageList(props: {
  stage: Stage;
  title: string;
  items: Attachment[];
  stats: Map<string, ActionStatsItem>;
  onReorder: (ids: string[]) => void;
  onDetach: (a: Attachment) => void;
  onToggle: (a: Attachment) => void;
}) {
  const [dragged, setDragged] = useState<string>();
  const [over, setOver] = useState<string>();
  const ids = props.items.map((a) => a.id);
  const headingId = `stage-${props.stage}`;
  const list = useRef<HTMLOListElement>(null);
  // Moving a row moves its DOM node, which drops the keyboard focus: give it back to the moved row's
  // button (the other move button once the row reached the top or the bottom).
  // An effect of an earlier render may run after the click: only the render showing the new order may act.
  const refocus = useRef<{ id: string; direction: 'up' | 'down'; order: string } | undefined>(undefined);
  useEffect(() => {
    const want = refocus.current;
    if (!want || want.order !== props.items.map((a) => a.id).join(' ')) return;
    const row = list.current?.querySelector(`li[data-attachment="${CSS.escape(want.id)}"]`);
    const buttons = [...(row?.querySelectorAll<HTMLButtonElement>('button[data-move]') ?? [])];
    const button =
      buttons.find((b) => b.dataset.move === want.direction && !b.disabled) ??
      buttons.find((b) => !b.disabled);
    if (button) {
      button.focus();
      refocus.current = undefined;
    }
  }, [props.items]);
  const move = (id: string, to: number, direction: 'up' | 'down') => (): void => {
    const order = moved(ids, id, to);
    refocus.current = { id, direction, order: order.join(' ') };
    props.onReorder(order);
  };

  function drop(e: DragEvent, target: string): void {
    e.preventDefault();
    const id = e.dataTransfer?.getData('text/plain') || dragged;
    setDragged(undefined);
    setOver(undefined);
    if (!id || id === target || !ids.includes(id)) return;
    props.onReorder(moved(ids, id, ids.indexOf(target)));
  }

  return (
    <div class="stage">
      <h3 id={headingId}>{props.title}</h3>
      {props.items.length === 0 ? (
        <p class="muted">No actions at this stage.</p>
      ) : (
        <ol class="attachments" ref={list} aria-labelledby={headingId} data-stage={props.stage}>
          {props.items.map((a, i) => {
            return (
              <li
                key={a.id}
                draggable
                data-attachment={a.id}
                class={['attachment', a.id === dragged ? 'dragging' : '', a.id === over ? 'drop-target' : '']
                  .filter(Boolean)
                  .join(' ')}
                onDragStart={(e) => {
                  e.dataTransfer?.setData('text/plain', a.id);
                  if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
                  setDragged(a.id);
                }}
                onDragEnd={() => {
                  setDragged(undefined);
                  setOver(undefined);
                }}
                onDragOver={(e) => {
                  // Only this stage's actions may land here: a drop never moves one to another stage.
                  if (!dragged || !ids.includes(dragged)) return;
                  e.preventDefault();
                  setOver(a.id);
                }}
                onDrop={(e) => drop(e, a.id)}
              >
                <AttachmentItem
                  a={a}
                  stats={props.stats.get(a.action_id)}
                  onMoveUp={i === 0 ? undefined : move(a.id, i - 1, 'up')}
                  onMoveDown={i === ids.length - 1 ? undefined : move(a.id, i + 1, 'down')}
                  onDetach={() => props.onDetach(a)}
                  onToggle={() => props.onToggle(a)}
                />
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

/** What one attachment shows: its action, triggers, figures, state and buttons (the move buttons work from the keyboard). */
function AttachmentItem(props: {
  a: Attachment;
  stats: ActionStatsItem | undefined;
  /** Absent at the top (or bottom) of the stage. */
  onMoveUp: (() => void) | undefined;
  onMoveDown: (() => void) | undefined;
  onDetach: () => void;
  onToggle: () => void;
}) {
  const { a, stats: s } = props;
  return (
    <>
      <span class="grip" aria-hidden="true">
        ⋮⋮
      </span>
      <span class="attachment-name">
        <a {...linkHandler(`/actions/${encodeURIComponent(a.action_id)}`)}>{a.action}</a>
        <span class="muted small">
          {' '}
          {a.triggers.length ? `${a.triggers.length} trigger(s)` : 'at stage entry'}
        </span>
      </span>
      <span class="attachment-stats small">
        {s && s.runs > 0
          ? `${percent(s.success_rate)} ok · p95 ${millis(s.p95_ms)} · ${s.runs} ${s.runs === 1 ? 'run' : 'runs'}`
          : 'no runs yet'}
      </span>
      <EnabledBadge enabled={a.enabled} />
      <span class="attachment-buttons">
        <button
          type="button"
          data-move="up"
          aria-label={`Move ${a.action} up`}
          disabled={!props.onMoveUp}
          onClick={props.onMoveUp}
        >
          ↑
        </button>
        <button
          type="button"
          data-move="down"
          aria-label={`Move ${a.action} down`}
          disabled={!props.onMoveDown}
          onClick={props.onMoveDown}
        >
          ↓
        </button>
        <button
          type="button"
          aria-label={`${a.enabled ? 'Disable' : 'Enable'} ${a.action}`}
          onClick={props.onToggle}
        >
          {a.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" class="danger" aria-label={`Detach ${a.action}`} onClick={props.onDetach}>
          Detach
        </button>
      </span>
    </>
  );
}
