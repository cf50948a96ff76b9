import { useState } from 'preact/hooks';
import { ContactManager } from './contact-manager.js';
import { Badge } from '../../components/status-badge.js';

export interface Contact {
  id: string;
  phone: string;
  first_name: string;
  last_name: string;
  email: string;
  dnc: boolean;
  dnc_at: string | null;
  dnc_by: string | null;
  dnc_reason: string | null;
  tags: string[];
  lists: Array<{ id: string; name: string }>;
}

/** One contact; "Manage" opens its tags, lists and Do-Not-Call mark below it. */
export function ContactRow(props: {
  contact: Contact;
  lists: Array<{ id: string; name: string }>;
  onChanged: (c: Contact) => void;
}) {
  const c = props.contact;
  const [open, setOpen] = useState(false);
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ') || c.phone;
  return (
    <>
      <tr data-contact={c.id}>
        <td>{name}</td>
        <td>{c.phone}</td>
        <td>{c.email}</td>
        <td>{c.tags.join(', ')}</td>
        <td>{c.lists.map((l) => l.name).join(', ')}</td>
        <td>
          {c.dnc ? (
            <span class="dnc">
              <Badge tone="bad">DNC</Badge> {c.dnc_reason}{' '}
              <span class="muted small">
                by {c.dnc_by}, {c.dnc_at?.slice(0, 16).replace('T', ' ')}
              </span>
            </span>
          ) : (
            '–'
          )}
        </td>
        <td>
          <button
            type="button"
            aria-expanded={open}
            aria-label={`Manage ${name}`}
            onClick={() => setOpen(!open)}
          >
            Manage
          </button>
        </td>
      </tr>
      {open && (
        <tr class="manage-row">
          <td colSpan={7}>
            <ContactManager contact={c} lists={props.lists} onChanged={props.onChanged} />
          </td>
        </tr>
      )}
    </>
  );
}
