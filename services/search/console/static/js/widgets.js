// Small pieces of pages: definition lists, tables, state tags, pagers.
import { html } from "./dom.js";
import { number, state, t } from "./i18n.js";
import { href } from "./router.js";

export function dl(pairs) {
  return html`<dl class="fields">${pairs.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v ?? "—"}</dd></div>`)}</dl>`;
}

/** A table that scrolls sideways on a phone rather than squeezing its columns. */
export function table(headers, rows, { caption, id } = {}) {
  return html`<div class="table-wrap" ${id ? html`id="${id}"` : ""} role="region" aria-label="${caption || ""}" tabindex="0">
    <table>
      ${caption ? html`<caption class="visually-hidden">${caption}</caption>` : ""}
      <thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody>
    </table>
  </div>`;
}

/** A chart and the table of the same numbers beside it, under one heading. */
export function chartPair(id, heading, chart, headers, rows) {
  return html`<section class="chart-pair" aria-labelledby="${id}-h">
    <h2 id="${id}-h">${heading}</h2>
    <div class="chart-grid">
      <figure>${chart}</figure>
      ${table(headers, rows, { caption: heading, id: `${id}-table` })}
    </div>
  </section>`;
}

export function stateTag(value, family = "fresh") {
  return html`<span class="tag tag-${family}-${value}">${state(value, family)}</span>`;
}

export function notice(kind, text) {
  const role = kind === "error" ? "alert" : "status";
  return html`<div class="notice notice-${kind}" role="${role}"><p>${text}</p></div>`;
}

/** Previous / next links keeping the page's other query parameters. */
export function pager(path, query, offset, size, total) {
  if (!total || total <= size) return "";
  const params = Object.fromEntries(query.entries());
  const prev = offset > 0 ? href(path, { ...params, offset: Math.max(0, offset - size) || undefined }) : null;
  const next = offset + size < total ? href(path, { ...params, offset: offset + size }) : null;
  return html`<nav class="pager" aria-label="${t("pager_label")}">
    ${prev ? html`<a href="${prev}">${t("previous")}</a>` : ""}
    <span>${t("pager_range", { from: number(offset + 1), to: number(Math.min(offset + size, total)), total: number(total) })}</span>
    ${next ? html`<a href="${next}">${t("next")}</a>` : ""}
  </nav>`;
}
