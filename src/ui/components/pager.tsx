/** Rows a list page asks for at a time. */
export const PAGE = 50;

/**
 * Previous / next through a paged list (`?limit=&offset=`), with where the reader is. Nothing when
 * everything fits on one page.
 */
export function Pager({
  total,
  offset,
  onOffset,
  limit = PAGE,
  label = 'Pages',
}: {
  total: number;
  offset: number;
  onOffset: (o: number) => void;
  /** The page size the list was asked for. */
  limit?: number;
  label?: string;
}) {
  if (total <= limit && offset === 0) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span aria-live="polite">
        {Math.min(offset + 1, total)}–{Math.min(offset + limit, total)} of {total}
      </span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        Next
      </button>
    </nav>
  );
}
