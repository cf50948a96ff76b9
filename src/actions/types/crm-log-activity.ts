import type { ActionContext } from '../action-type.js';
import type { CrmActivity } from '../../integrations/crm/crm-adapter.js';
import { transcriptText, type CallSnapshot } from '../../integrations/call-snapshot.js';
import { parsePhoneNumber } from '../../util/phone-number.js';

export interface CrmIncludes {
  transcript: boolean;
  summary: boolean;
  collected: boolean;
  dispositions: boolean;
}

/** The note/description text: summary, collected fields, dispositions, transcript (each when included). */
export function activityBody(snap: CallSnapshot, include: CrmIncludes, summary: string): string {
  const parts: string[] = [];
  if (include.summary && summary) parts.push(`Summary:\n${summary}`);
  if (include.collected && Object.keys(snap.collected).length) {
    parts.push(
      'Collected:\n' +
        Object.entries(snap.collected)
          .map(([k, v]) => `- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join('\n'),
    );
  }
  if (include.dispositions && (snap.dispositions.call || snap.dispositions.contact)) {
    parts.push(
      `Disposition: ${snap.dispositions.call ?? '-'}` +
        (snap.dispositions.contact ? ` (contact: ${snap.dispositions.contact})` : ''),
    );
  }
  if (include.transcript && snap.transcript.length)
    parts.push(`Transcript:\n${transcriptText(snap.transcript)}`);
  return parts.join('\n\n');
}

/** The other party's number: the remote side of the call. */
/**
 * The far party's number as the CRM should match it: E.164 when the phone-number rule can read it
 * (`00 44 20 7183 8750` → `+442071838750`), else as the call carried it (a SIP user such as `alice`).
 */
export function remoteNumber(snap: CallSnapshot): string {
  const c = snap.call;
  const remote = String((c.direction === 'outbound' ? c.to : c.from) ?? c.remote ?? snap.contact.phone ?? '');
  const parsed = parsePhoneNumber(remote);
  return parsed.ok ? parsed.e164 : remote;
}

export function activityOf(
  ctx: ActionContext<{ subject: string; create_contact: boolean; contact_fields: Record<string, string> }>,
  snap: CallSnapshot,
  body: string,
): CrmActivity {
  const c = snap.call;
  const durationMs = typeof c.duration_ms === 'number' ? c.duration_ms : undefined;
  return {
    phone: remoteNumber(snap),
    firstName: str(snap.contact.first_name),
    lastName: str(snap.contact.last_name),
    email: str(snap.contact.email),
    subject: ctx.config.subject,
    body,
    timestamp: str(c.started_at) || new Date(ctx.services.clock.now()).toISOString(),
    direction: c.direction === 'outbound' ? 'outbound' : 'inbound',
    ...(durationMs === undefined ? {} : { durationSeconds: Math.round(durationMs / 1000) }),
    disposition: snap.dispositions.call,
    contactFields: ctx.config.contact_fields,
    createContact: ctx.config.create_contact,
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
