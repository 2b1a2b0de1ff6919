/**
 * A stacked horizontal bar chart as SVG markup, drawn on the server (no script). The picture is one
 * image with a title and a description for screen readers; the page shows the same numbers as a table
 * beside it. Segments differ in fill pattern as well as colour, and carry their count as text when they
 * are wide enough, so the chart never relies on colour alone.
 */

export type ChartSeries = { key: string; label: string };
export type ChartRow = { label: string; values: Record<string, number> };

export type ChartOptions = {
  id: string;
  title: string;
  description: string;
  series: ChartSeries[];
  rows: ChartRow[];
};

const STYLES = [
  { fill: '#1d6b3a', text: '#fff', pattern: 'solid' },
  { fill: '#1f4e99', text: '#fff', pattern: 'stripes' },
  { fill: '#6b6b6b', text: '#fff', pattern: 'dots' },
  { fill: '#8a4b08', text: '#fff', pattern: 'cross' },
] as const;

const LABEL_WIDTH = 230;
const BAR_WIDTH = 440;
const TOTAL_WIDTH = 50;
const ROW_HEIGHT = 34;
const BAR_HEIGHT = 22;
const LEGEND_ROW = 22;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function patternDefs(id: string): string {
  return STYLES.map((s, i) => {
    const pid = `${id}-p${i}`;
    const base = `<rect width="8" height="8" fill="${s.fill}"/>`;
    const mark =
      s.pattern === 'stripes'
        ? '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-opacity=".45" stroke-width="1.5"/>'
        : s.pattern === 'dots'
          ? '<circle cx="4" cy="4" r="1.4" fill="#fff" fill-opacity=".5"/>'
          : s.pattern === 'cross'
            ? '<path d="M0,4 h8 M4,0 v8" stroke="#fff" stroke-opacity=".4" stroke-width="1"/>'
            : '';
    return `<pattern id="${pid}" width="8" height="8" patternUnits="userSpaceOnUse">${base}${mark}</pattern>`;
  }).join('');
}

/** Truncates a label for the chart (the table beside it keeps the whole text). */
function shortLabel(label: string, max = 26): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

export function renderStackedBarChart(o: ChartOptions): string {
  const series = o.series.slice(0, STYLES.length);
  const legendRows = Math.ceil(series.length / 2);
  const chartTop = legendRows * LEGEND_ROW + 12;
  const width = LABEL_WIDTH + BAR_WIDTH + TOTAL_WIDTH;
  const height = chartTop + o.rows.length * ROW_HEIGHT + 4;
  const max = Math.max(1, ...o.rows.map((r) => series.reduce((sum, s) => sum + (r.values[s.key] ?? 0), 0)));
  const titleId = `${o.id}-title`;
  const descId = `${o.id}-desc`;

  const legend = series
    .map((s, i) => {
      const x = (i % 2) * 340;
      const y = Math.floor(i / 2) * LEGEND_ROW;
      return (
        `<rect x="${x}" y="${y + 3}" width="16" height="16" fill="url(#${o.id}-p${i})" stroke="#1b1b1b"/>` +
        `<text x="${x + 22}" y="${y + 16}">${escapeXml(s.label)}</text>`
      );
    })
    .join('');

  const bars = o.rows
    .map((r, row) => {
      const y = chartTop + row * ROW_HEIGHT;
      let x = LABEL_WIDTH;
      let total = 0;
      const segments = series
        .map((s, i) => {
          const n = r.values[s.key] ?? 0;
          total += n;
          if (n === 0) return '';
          const w = (n / max) * BAR_WIDTH;
          const seg =
            `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" ` +
            `fill="url(#${o.id}-p${i})" stroke="#fff" stroke-width="1"/>` +
            (w >= 18
              ? `<text x="${(x + w / 2).toFixed(1)}" y="${y + 16}" text-anchor="middle" fill="${STYLES[i]!.text}" ` +
                `font-weight="700">${n}</text>`
              : '');
          x += w;
          return seg;
        })
        .join('');
      return (
        `<text x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end">${escapeXml(shortLabel(r.label))}</text>` +
        segments +
        `<text x="${(x + 6).toFixed(1)}" y="${y + 16}">${total}</text>`
      );
    })
    .join('');

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" ` +
    `aria-labelledby="${titleId} ${descId}" font-family="system-ui, sans-serif" font-size="14" fill="#1b1b1b">` +
    `<title id="${titleId}">${escapeXml(o.title)}</title>` +
    `<desc id="${descId}">${escapeXml(o.description)}</desc>` +
    `<defs>${patternDefs(o.id)}</defs>` +
    `<g aria-hidden="true">${legend}${bars}</g>` +
    '</svg>'
  );
}
