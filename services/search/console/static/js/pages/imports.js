// Import a file (progress while it uploads, then while the catalogue stores it) and read its
// per-row report: row number, column, error or warning, message.
import { ApiError, apiBase, call, upload } from "../api.js";
import { $, html } from "../dom.js";
import { busy, detailsToErrors, field, showErrors } from "../forms.js";
import { dateTime, fieldName, kindOptions, number, t } from "../i18n.js";
import { go, href } from "../router.js";
import { actingQuery } from "../session.js";
import { dl, notice, stateTag, table } from "../widgets.js";

const ACCEPT = ".csv,.tsv,.txt,.xlsx,.mrc,.marc,.xml,.json,.ndjson,.jsonl";
const POLL_MS = 1000;
const COLUMN = /^\[([^\]]+)\]\s*/;
// The 202 of an upload names the file row of each rejected or warned record; the stored
// outcomes may not. Kept in memory for this tab only (the next page load starts without).
const fileRows = new Map();

function rememberRows(receipt) {
  const rows = new Map();
  for (const item of [...(receipt.rejected || []), ...(receipt.warnings || [])]) {
    if (item.row !== undefined && item.row !== null) rows.set(item.index, item.row);
  }
  fileRows.set(receipt.submission_id, rows);
}

function templateLinks() {
  const base = apiBase("ingest");
  return html`<ul class="downloads">
    <li><a href="${base}/v1/imports/template.xlsx" download>${t("template_xlsx")}</a></li>
    <li><a href="${base}/v1/imports/template.csv" download>${t("template_csv")}</a></li>
  </ul>`;
}

export async function importPage({ query }) {
  return {
    title: t("import_title"),
    body: html`<h1>${t("import_title")}</h1>
      <p>${t("import_intro")}</p>
      <section class="card" aria-labelledby="templates-h">
        <h2 id="templates-h">${t("templates_title")}</h2>
        <p>${t("templates_text")}</p>
        ${templateLinks()}
      </section>
      <form id="import" novalidate>
        ${field({ name: "file", label: t("import_file"), hint: t("import_file_hint"), type: "file", required: true, accept: ACCEPT })}
        ${field({ name: "kind", label: t("import_kind"), hint: t("import_kind_hint"), options: [["", t("import_kind_none")], ...kindOptions()] })}
        <button type="submit" class="button">${t("import_button")}</button>
      </form>
      <div id="upload-progress" hidden>
        <label for="upload-bar">${t("uploading")}</label>
        <progress id="upload-bar" max="100" value="0"></progress>
        <span id="upload-pct" aria-hidden="true"></span>
      </div>`,
    mount(root) {
      const form = $("#import", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const file = form.elements.file.files[0];
        if (!file) {
          showErrors(form, [{ field: "file", message: t("import_file_missing") }]);
          return;
        }
        const data = new FormData();
        data.append("file", file, file.name);
        if (form.elements.kind.value) data.append("kind", form.elements.kind.value);
        const box = $("#upload-progress", root);
        const bar = $("#upload-bar", root);
        box.hidden = false;
        busy(form, async () => {
          try {
            const receipt = await upload("ingest", "/v1/imports", data, {
              query: actingQuery(query),
              onProgress(loaded, total) {
                bar.value = Math.round((loaded / total) * 100);
                $("#upload-pct", root).textContent = `${bar.value}%`;
              },
            });
            bar.value = 100;
            rememberRows(receipt);
            go(href(`/member/submissions/${encodeURIComponent(receipt.submission_id)}`, actingQuery(query)));
          } catch (error) {
            box.hidden = true;
            if (!(error instanceof ApiError)) throw error;
            showErrors(form, detailsToErrors(error.details, ["file", "kind"], error.message).map((e) => ({ ...e, field: e.field || "file" })));
          }
        });
      });
    },
  };
}

// A file's row number when ingest named it; an API submission's items are numbered from 1.
function rowOf(item, rows) {
  if (item.row !== undefined && item.row !== null) return item.row;
  if (rows) return rows.get(item.index) ?? null;
  return item.index + 1;
}

function line(item, level, problem, rows) {
  const found = COLUMN.exec(problem.msg || "");
  const loc = (problem.loc || []).filter((p) => typeof p === "string");
  const column = found ? found[1] : loc.length ? fieldName(loc[loc.length - 1]) : "—";
  const message = found ? problem.msg.slice(found[0].length) : problem.msg;
  return { row: rowOf(item, rows), local_id: item.local_id, column, level, message };
}

/**
 * One line per problem, in row order: errors (the record was not accepted) from the outcomes,
 * warnings (stored with a soft problem) from ``warnings`` — or from the outcomes that carry them.
 */
export function problems(outcomes, warnings, rows = null) {
  const warned = warnings?.length ? warnings : outcomes.filter((o) => o.warnings?.length);
  const lines = [
    ...outcomes.flatMap((o) => (o.errors || []).map((p) => line(o, "error", p, rows))),
    ...warned.flatMap((w) => (w.warnings || []).map((p) => line(w, "warning", p, rows))),
  ];
  return lines.sort((a, b) => (a.row ?? 0) - (b.row ?? 0) || (a.level === "error" ? -1 : 1));
}

function report(lines) {
  if (!lines.length) return html`<p>${t("report_clean")}</p>`;
  const rows = lines.map((l) => [
    l.row === null ? "—" : number(l.row),
    l.local_id || "—",
    l.column,
    html`<span class="tag tag-${l.level}">${t(`level_${l.level}`)}</span>`,
    l.message,
  ]);
  return table([t("col_row"), t("col_local_id"), t("col_column"), t("col_level"), t("col_message")], rows, {
    caption: t("report_title"),
    id: "report",
  });
}

function progressBlock(s) {
  const done = s.batches?.processed ?? 0;
  const total = s.batches?.total ?? 0;
  return html`<div class="progress-block">
    <label for="store-bar">${t("storing", { done: number(done), total: number(total) })}</label>
    <progress id="store-bar" max="${Math.max(total, 1)}" value="${done}"></progress>
  </div>`;
}

function summary(s) {
  const counts = s.counts || {};
  return dl([
    [t("col_when"), dateTime(s.created_at)],
    [t("col_source"), t(`source_${s.source}`, {}, s.source)],
    [t("col_state"), stateTag(s.state, "submission")],
    [t("col_total"), number(s.total)],
    [t("outcome_created"), number(counts.created || 0)],
    [t("outcome_updated"), number(counts.updated || 0)],
    [t("outcome_unchanged"), number(counts.unchanged || 0)],
    [t("outcome_withdrawn"), number(counts.withdrawn || 0)],
    [t("outcome_rejected"), number(counts.rejected || 0)],
    ...(s.file?.ignored_columns?.length ? [[t("ignored_columns"), s.file.ignored_columns.join(", ")]] : []),
  ]);
}

export async function submissionPage({ params, query }) {
  const path = `/v1/submissions/${encodeURIComponent(params.id)}`;
  const first = await call("ingest", path, { query: actingQuery(query) });
  return {
    title: t("submission_title"),
    body: html`<h1>${t("submission_title")}</h1>
      <p class="muted">${t("submission_id")}: <code>${first.submission_id}</code></p>
      <div id="submission-state" aria-live="polite"></div>
      <section aria-labelledby="report-h"><h2 id="report-h">${t("report_title")}</h2><div id="report-box"></div></section>
      <p><a href="${href("/member/records")}">${t("task_records")}</a> · <a href="${href("/member/import")}">${t("import_another")}</a></p>`,
    async mount(root) {
      let s = first;
      const draw = () => {
        $("#submission-state", root).innerHTML = html`${s.state !== "done" ? progressBlock(s) : notice("ok", t("submission_done"))}${summary(s)}`.text;
        $("#report-box", root).innerHTML = report(problems(s.outcomes || [], s.warnings, s.file ? fileRows.get(s.submission_id) || new Map() : null)).text;
      };
      draw();
      while (s.state !== "done" && root.isConnected) {
        await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
        if (!root.isConnected) return;
        s = await call("ingest", path, { query: actingQuery(query) });
        if (root.isConnected) draw();
      }
    },
  };
}
