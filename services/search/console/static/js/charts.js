// SVG charts drawn here (no library): horizontal bars and a column series, each with a table of
// the same numbers beside it, for people who would rather read than look.
import { html } from "./dom.js";
import { number } from "./i18n.js";

const BAR = 18;
const LABEL = 18;
const GAP = 12;
const WIDTH = 560;
const MAX_COLUMN = 48;

/** Horizontal bars, each under its full label: [{label, value}] → an SVG with a title. */
export function bars(items, { title, id }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  const row = LABEL + BAR + GAP;
  const height = items.length * row + 4;
  const room = WIDTH - 70;
  return html`<svg class="chart" id="${id}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}-t">
    <title id="${id}-t">${title}</title>
    ${items.map((item, i) => {
      const y = 4 + i * row;
      const w = Math.max(1, Math.round((item.value / max) * room));
      return html`<g>
        <text x="0" y="${y + 13}" class="chart-label">${item.label}</text>
        <rect x="0" y="${y + LABEL}" width="${w}" height="${BAR}" rx="3" class="chart-bar chart-bar-${i % 5}"></rect>
        <text x="${w + 6}" y="${y + LABEL + 14}" class="chart-value">${number(item.value)}</text>
      </g>`;
    })}
  </svg>`;
}

/** Columns over time: [{label, value}] in order (days, half-years). */
export function columns(items, { title, id }) {
  const height = 220;
  const top = 20;
  const bottom = 40;
  const left = 40;
  const max = Math.max(1, ...items.map((i) => i.value));
  const step = (WIDTH - left - 10) / Math.max(items.length, 1);
  const w = Math.min(MAX_COLUMN, Math.max(2, step * 0.7));
  const every = Math.ceil(items.length / 10);
  return html`<svg class="chart" id="${id}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}-t">
    <title id="${id}-t">${title}</title>
    <line x1="${left}" y1="${height - bottom}" x2="${WIDTH - 5}" y2="${height - bottom}" class="chart-axis"></line>
    <text x="${left - 6}" y="${top + 4}" text-anchor="end" class="chart-value">${number(max)}</text>
    <text x="${left - 6}" y="${height - bottom}" text-anchor="end" class="chart-value">0</text>
    ${items.map((item, i) => {
      const h = Math.round((item.value / max) * (height - top - bottom));
      const x = left + i * step + (step - w) / 2;
      return html`<g>
        <rect x="${x}" y="${height - bottom - h}" width="${w}" height="${h}" class="chart-bar chart-bar-0"><title>${item.label}: ${number(item.value)}</title></rect>
        ${i % every === 0 ? html`<text x="${x + w / 2}" y="${height - bottom + 16}" text-anchor="middle" class="chart-label chart-small">${item.label}</text>` : ""}
      </g>`;
    })}
  </svg>`;
}
