/**
 * What a caller heard of a line the agent began to say: the share of the text that matches the share
 * of the audio played, cut back to a word boundary, with an ellipsis when it was cut. `totalMs` is how
 * long the whole line takes.
 */
export function heardText(text: string, heardMs: number, totalMs: number): string {
  if (totalMs <= 0 || heardMs >= totalMs) return text;
  if (heardMs <= 0) return '';
  const at = Math.floor((text.length * heardMs) / totalMs);
  const space = text.lastIndexOf(' ', at);
  const cut = (space > 0 ? text.slice(0, space) : '').trimEnd();
  return cut ? `${cut}…` : '';
}
