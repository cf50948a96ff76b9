/**
 * `ids` with `id` moved to index `to` of the result (clamped to the list). Dropping an action on another
 * moves it to that one's index, so it takes its place: onto a later one it lands after it, onto an
 * earlier one before it; a move button passes its neighbour's index.
 */
export function moved(ids: readonly string[], id: string, to: number): string[] {
  const rest = ids.filter((x) => x !== id);
  rest.splice(Math.max(0, Math.min(to, rest.length)), 0, id);
  return rest;
}
