/** One bar: its label and value; `text` is how the value reads (`95 %`, `120 ms`). */
export interface Bar {
  label: string;
  value: number;
  text: string;
}

const WIDTH = 560;
const ROW = 22;
const LABEL_W = 170;
const COL_H = 160;

/**
 * A hand-made SVG bar chart. Screen readers get its title and description from the SVG itself and
 * every number from the table beside it (the bars are drawn for the eye only).
 */
export function BarChart(props: {
  id: string;
  title: string;
  desc: string;
  bars: Bar[];
  /** Columns (a time series) instead of rows. */
  columns?: boolean;
  /** Heading of the table's first column. */
  labelHeading: string;
  valueHeading: string;
  /** The scale's top; default the largest value. */
  max?: number;
}) {
  const max = props.max ?? Math.max(1, ...props.bars.map((b) => b.value));
  return (
    <figure class="chart" aria-labelledby={`${props.id}-caption`}>
      <figcaption id={`${props.id}-caption`}>{props.title}</figcaption>
      {props.bars.length === 0 ? (
        <p class="muted">Nothing in this window.</p>
      ) : (
        <svg
          role="img"
          aria-labelledby={`${props.id}-title ${props.id}-desc`}
          viewBox={`0 0 ${WIDTH} ${props.columns ? COL_H + 24 : props.bars.length * ROW + 4}`}
          class="chart-svg"
        >
          <title id={`${props.id}-title`}>{props.title}</title>
          <desc id={`${props.id}-desc`}>{props.desc}</desc>
          {props.columns ? <Columns bars={props.bars} max={max} /> : <Rows bars={props.bars} max={max} />}
        </svg>
      )}
      {props.columns ? (
        <details>
          <summary>The numbers</summary>
          <NumbersTable {...props} />
        </details>
      ) : (
        <NumbersTable {...props} />
      )}
    </figure>
  );
}

function Rows({ bars, max }: { bars: Bar[]; max: number }) {
  // Room on the right for the value text beside the longest bar.
  const span = WIDTH - LABEL_W - 130;
  return (
    <g aria-hidden="true">
      {bars.map((b, i) => (
        <g key={b.label} transform={`translate(0 ${i * ROW})`}>
          <text x={LABEL_W - 6} y={15} text-anchor="end" class="chart-label">
            {b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label}
          </text>
          <rect x={LABEL_W} y={3} height={ROW - 6} width={Math.max(1, (b.value / max) * span)} class="bar" />
          <text x={LABEL_W + Math.max(1, (b.value / max) * span) + 6} y={15} class="chart-value">
            {b.text}
          </text>
        </g>
      ))}
    </g>
  );
}

function Columns({ bars, max }: { bars: Bar[]; max: number }) {
  const w = WIDTH / bars.length;
  const every = Math.max(1, Math.ceil(bars.length / 8));
  return (
    <g aria-hidden="true">
      <line x1={0} x2={WIDTH} y1={COL_H} y2={COL_H} class="axis" />
      <text x={2} y={10} class="chart-value">
        {max}
      </text>
      {bars.map((b, i) => {
        const h = (b.value / max) * (COL_H - 14);
        return (
          <g key={b.label}>
            <rect x={i * w + 1} y={COL_H - h} width={Math.max(1, w - 2)} height={h} class="bar" />
            {i % every === 0 && (
              <text x={i * w} y={COL_H + 16} class="chart-label">
                {b.label.slice(-5)}
              </text>
            )}
          </g>
        );
      })}
    </g>
  );
}

function NumbersTable(props: { title: string; bars: Bar[]; labelHeading: string; valueHeading: string }) {
  return (
    <table class="chart-table">
      <caption class="visually-hidden">{props.title}: the numbers</caption>
      <thead>
        <tr>
          <th scope="col">{props.labelHeading}</th>
          <th scope="col">{props.valueHeading}</th>
        </tr>
      </thead>
      <tbody>
        {props.bars.map((b) => (
          <tr key={b.label}>
            <td>{b.label}</td>
            <td>{b.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
