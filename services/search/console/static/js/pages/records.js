// A member's records: list and search, one record with its history, edit / add in a form,
// withdraw and restore. Every write is a submission to ingest, stored by the catalogue.
import { ApiError, call } from "../api.js";
import { $, html, safeUrl } from "../dom.js";
import { busy, detailsToErrors, field, restoreDraft, showErrors, values } from "../forms.js";
import { accessOptions, date, dateTime, fieldName, kind, kindOptions, number, t } from "../i18n.js";
import { go, href } from "../router.js";
import { actingMember, actingQuery } from "../session.js";
import { dl, notice, stateTag, table } from "../widgets.js";

const PAGE = 50;
const POLL_MS = 700;
const POLL_LIMIT = 120;
const TEXT = ["title", "description", "publisher", "language", "url", "contact", "location"];
const LISTS = ["creators", "subjects"];
const IDS = ["doi", "isbn", "issn"];
const WHEN = ["starts_at", "ends_at"];
const FIELDS = ["local_id", "kind", "access", "year", ...TEXT, ...LISTS, ...IDS, ...WHEN];

function recordPath(localId, suffix = "") {
  return `/member/records/${encodeURIComponent(localId)}${suffix}`;
}

function localIdOf(id) {
  return id.slice(id.indexOf(":") + 1);
}

function memberQuery(query) {
  return actingQuery(query);
}

export async function recordList({ query }) {
  const code = actingMember(query);
  const q = (query.get("q") || "").trim();
  const filters = { kind: query.get("kind") || undefined, status: query.get("status") || undefined };
  let rows;
  let next = null;
  if (q) {
    const found = await call("search", "/v1/search", { query: { q, member: code, kind: filters.kind, per_page: PAGE } });
    rows = found.hits.map((h) => ({ id: h.id, title: h.title, kind: h.kind, year: h.year, status: "active" }));
  } else {
    const page = await call("catalogue", "/v1/records", { query: { member: code, limit: PAGE, after: query.get("after"), ...filters } });
    rows = page.records;
    next = page.next;
  }
  const extra = memberQuery(query);
  const cells = rows.map((r) => [
    html`<a href="${href(recordPath(localIdOf(r.id)), extra)}">${r.title}</a>`,
    kind(r.kind),
    r.year ?? "—",
    html`${stateTag(r.status, "record")}`,
    r.version ? number(r.version) : "—",
  ]);
  return {
    title: t("records_title"),
    body: html`<h1>${t("records_title")}</h1>
      <p><a class="button button-secondary" href="${href("/member/records/new", extra)}">${t("task_add")}</a></p>
      <form id="record-filter" class="filters" method="get" action="${href("/member/records")}">
        ${query.get("member") ? html`<input type="hidden" name="member" value="${query.get("member")}">` : ""}
        ${field({ name: "q", label: t("records_search"), hint: t("records_search_hint"), type: "search", value: q })}
        ${field({ name: "kind", label: t("field_kind"), value: filters.kind, options: [["", t("all")], ...kindOptions()] })}
        ${field({ name: "status", label: t("field_status"), value: filters.status, options: [["", t("all")], ["active", t("record_active")], ["withdrawn", t("record_withdrawn")]] })}
        <button type="submit" class="button">${t("filter")}</button>
      </form>
      ${cells.length
        ? table([t("field_title"), t("field_kind"), t("field_year"), t("field_status"), t("version")], cells, { caption: t("records_title"), id: "records" })
        : html`<p class="empty">${t(next ? "records_none_yet" : "records_none")}</p>`}
      ${next ? html`<p><a href="${href("/member/records", { ...Object.fromEntries(query.entries()), after: next })}">${t("next")}</a></p>` : ""}`,
    mount(root) {
      const form = $("#record-filter", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const params = Object.fromEntries(Object.entries(values(form)).filter(([, v]) => v));
        go(href("/member/records", params));
      });
    },
  };
}

function historyTable(versions) {
  const rows = versions.map((v) => [
    number(v.version),
    dateTime(v.at),
    t(`change_${v.change}`, {}, v.change),
    t(`source_${v.source}`, {}, v.source),
    (v.fields || []).map(fieldName).join(", ") || "—",
  ]);
  return table([t("version"), t("col_when"), t("col_change"), t("col_source"), t("col_fields")], rows, { caption: t("history_title"), id: "history" });
}

function recordFields(r) {
  const link = safeUrl(r.url);
  const ids = Object.entries(r.identifiers || {}).map(([k, v]) => `${k.toUpperCase()}: ${v}`).join(" · ");
  const invalid = Object.entries(r.invalid_identifiers || {})
    .flatMap(([k, values]) => values.map((v) => `${k.toUpperCase()}: ${v}`))
    .join(" · ");
  return dl([
    [t("field_local_id"), r.local_id],
    [t("field_kind"), kind(r.kind)],
    [t("field_description"), r.description],
    [t("field_creators"), (r.creators || []).join("; ") || "—"],
    [t("field_subjects"), (r.subjects || []).join("; ") || "—"],
    [t("field_publisher"), r.publisher],
    [t("field_year"), r.year ?? r.date],
    [t("field_language"), r.language],
    [t("field_url"), link ? html`<a href="${link}" rel="noopener">${r.url}</a>` : r.url],
    [t("field_identifiers"), ids || "—"],
    ...(invalid ? [[t("field_invalid_identifiers"), html`<span id="invalid-identifiers">${invalid}</span>`]] : []),
    [t("field_access"), r.access ? t(`access_${r.access}`) : "—"],
    [t("field_contact"), r.contact],
    ...(r.kind === "training"
      ? [[t("field_starts_at"), dateTime(r.starts_at)], [t("field_ends_at"), dateTime(r.ends_at)], [t("field_location"), r.location]]
      : []),
    [t("version"), number(r.version)],
    [t("updated_at"), dateTime(r.updated_at)],
  ]);
}

/** Wait until a submission is stored; its outcomes (or null when it takes too long). */
async function stored(submissionId, query) {
  for (let i = 0; i < POLL_LIMIT; i += 1) {
    const s = await call("ingest", `/v1/submissions/${encodeURIComponent(submissionId)}`, { query: memberQuery(query) });
    if (s.state === "done") return s;
    await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
  }
  return null;
}

export async function recordPage({ params, query }) {
  const code = actingMember(query);
  const id = `${code}:${params.id}`;
  const [record, history] = await Promise.all([
    call("catalogue", `/v1/records/${encodeURIComponent(id)}`),
    call("catalogue", `/v1/records/${encodeURIComponent(id)}/history`),
  ]);
  const extra = memberQuery(query);
  const withdrawn = record.status === "withdrawn";
  const saved = query.get("saved");
  return {
    title: record.title,
    body: html`<p><a href="${href("/member/records", extra)}">${t("back_to_records")}</a></p>
      ${saved ? notice("ok", t("record_saved", { version: number(record.version) })) : ""}
      <h1>${record.title}</h1>
      <p class="state-line">${stateTag(record.status, "record")} <span class="version-badge">${t("version_n", { n: number(record.version) })}</span></p>
      <section class="card">${recordFields(record)}</section>
      <div class="actions">
        ${withdrawn ? "" : html`<a class="button" href="${href(recordPath(record.local_id, "/edit"), extra)}">${t("edit")}</a>`}
        <form id="status-change" class="inline-form">
          <button type="submit" class="button ${withdrawn ? "" : "button-warn"}">${withdrawn ? t("restore") : t("withdraw")}</button>
        </form>
      </div>
      <div id="status-result"></div>
      <section aria-labelledby="history-h"><h2 id="history-h">${t("history_title")}</h2>${historyTable(history.versions)}</section>`,
    mount(root) {
      const form = $("#status-change", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!withdrawn && !window.confirm(t("withdraw_confirm", { title: record.title }))) return;
        busy(form, async () => {
          const result = $("#status-result", root);
          const path = `/v1/records/${encodeURIComponent(record.local_id)}${withdrawn ? "/restore" : ""}`;
          try {
            const receipt = await call("ingest", path, { method: withdrawn ? "POST" : "DELETE", query: extra });
            result.innerHTML = notice("info", t("working")).text;
            await stored(receipt.submission_id, query);
            go(href(recordPath(record.local_id), extra), { replace: true });
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            result.innerHTML = notice("error", error.message).text;
          }
        });
      });
    },
  };
}

function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// A key without a valid value shows the first value kept as invalid, with a hint: the person
// corrects it, or saves it as it is (it stays a warning); it is never dropped unseen.
function shownIdentifiers(r) {
  const shown = { ...(r.identifiers || {}) };
  const flagged = new Set();
  for (const name of IDS) {
    const invalid = r.invalid_identifiers?.[name];
    if (!shown[name] && invalid?.length) {
      shown[name] = invalid[0];
      flagged.add(name);
    }
  }
  return { shown, flagged };
}

function idHint(name, flagged, hint) {
  return flagged.has(name) ? t("hint_invalid_identifier") : hint;
}

function formFields(r, editing) {
  const { shown: ids, flagged } = shownIdentifiers(r);
  return html`
    ${editing
      ? html`<input type="hidden" name="local_id" value="${r.local_id}">`
      : field({ name: "local_id", label: t("field_local_id"), hint: t("hint_local_id"), required: true, value: r.local_id, width: "20" })}
    ${field({ name: "kind", label: t("field_kind"), required: true, value: r.kind, options: kindOptions() })}
    ${field({ name: "title", label: t("field_title"), required: true, value: r.title })}
    ${field({ name: "description", label: t("field_description"), value: r.description, rows: 5 })}
    ${field({ name: "creators", label: t("field_creators"), hint: t("hint_one_per_line"), value: (r.creators || []).join("\n"), rows: 3 })}
    ${field({ name: "subjects", label: t("field_subjects"), hint: t("hint_one_per_line"), value: (r.subjects || []).join("\n"), rows: 3 })}
    ${field({ name: "publisher", label: t("field_publisher"), value: r.publisher })}
    ${field({ name: "year", label: t("field_year"), hint: t("hint_year"), value: r.year ?? "", inputmode: "numeric", width: "5" })}
    ${field({ name: "language", label: t("field_language"), hint: t("hint_language"), value: r.language || "vi", width: "5" })}
    ${field({ name: "url", label: t("field_url"), hint: t("hint_url"), type: "url", value: r.url, inputmode: "url" })}
    <fieldset class="group"><legend>${t("field_identifiers")}</legend>
      ${field({ name: "isbn", label: "ISBN", hint: idHint("isbn", flagged), value: ids.isbn, width: "20" })}
      ${field({ name: "issn", label: "ISSN", hint: idHint("issn", flagged), value: ids.issn, width: "10" })}
      ${field({ name: "doi", label: "DOI", hint: idHint("doi", flagged, t("hint_doi")), value: ids.doi })}
    </fieldset>
    ${field({ name: "access", label: t("field_access"), value: r.access || "", options: accessOptions() })}
    ${field({ name: "contact", label: t("field_contact"), value: r.contact })}
    <fieldset class="group" id="training-fields"><legend>${t("training_fields")}</legend>
      <p class="hint">${t("hint_training")}</p>
      ${field({ name: "starts_at", label: t("field_starts_at"), type: "datetime-local", value: localInput(r.starts_at) })}
      ${field({ name: "ends_at", label: t("field_ends_at"), type: "datetime-local", value: localInput(r.ends_at) })}
      ${field({ name: "location", label: t("field_location"), value: r.location })}
    </fieldset>`;
}

/** The form's values as the record ingest expects; identifiers not in the form are kept. */
export function recordBody(v, original) {
  const out = { local_id: v.local_id.trim(), kind: v.kind };
  for (const name of TEXT) if (v[name]?.trim()) out[name] = v[name].trim();
  for (const name of LISTS) {
    const items = (v[name] || "").split("\n").map((s) => s.trim()).filter(Boolean);
    if (items.length) out[name] = items;
  }
  if (v.year?.trim()) out.year = /^\d+$/.test(v.year.trim()) ? Number(v.year.trim()) : v.year.trim();
  if (v.access) out.access = v.access;
  const ids = { ...(original?.identifiers || {}) };
  for (const name of IDS) {
    if (v[name]?.trim()) ids[name] = v[name].trim();
    else delete ids[name];
  }
  if (Object.keys(ids).length) out.identifiers = ids;
  // Values kept as invalid stay unless the form showed them (then what the person left in
  // the field is sent, and checked again): an edit never loses what the member sent.
  const { flagged } = shownIdentifiers(original || {});
  const kept = {};
  for (const [name, values] of Object.entries(original?.invalid_identifiers || {})) {
    const rest = flagged.has(name) ? values.slice(1) : values;
    if (rest.length) kept[name] = rest;
  }
  if (Object.keys(kept).length) out.invalid_identifiers = kept;
  // Time and place belong to training events only (the API refuses them on other kinds).
  if (v.kind === "training") {
    for (const name of WHEN) if (v[name]) out[name] = new Date(v[name]).toISOString();
  } else {
    delete out.location;
  }
  if (original?.date && !out.year) out.date = original.date;
  return out;
}

function warningsOf(receipt) {
  return (receipt.warnings || []).flatMap((w) => w.warnings || w.errors || []);
}

export async function recordForm({ params, query }) {
  const code = actingMember(query);
  const editing = Boolean(params.id);
  const original = editing ? await call("catalogue", `/v1/records/${encodeURIComponent(`${code}:${params.id}`)}`) : null;
  const extra = memberQuery(query);
  const title = editing ? t("edit_title") : t("add_title");
  return {
    title,
    body: html`<p><a href="${editing ? href(recordPath(params.id), extra) : href("/member/records", extra)}">${t("back")}</a></p>
      <h1>${title}</h1>
      ${editing ? html`<p class="lead">${original.title}</p>` : ""}
      <div id="form-notice"></div>
      <form id="record-form" data-draft novalidate>
        ${formFields(original || { kind: "publication" }, editing)}
        <button type="submit" class="button">${t("save")}</button>
      </form>`,
    mount(root) {
      const form = $("#record-form", root);
      const training = $("#training-fields", root);
      const showTraining = () => {
        training.hidden = form.elements.kind.value !== "training";
      };
      form.elements.kind.addEventListener("change", showTraining);
      if (restoreDraft(form)) $("#form-notice", root).innerHTML = notice("info", t("draft_restored")).text;
      showTraining();
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const v = values(form);
        if (!v.title.trim() || !v.local_id.trim()) {
          showErrors(form, [
            ...(!v.local_id.trim() ? [{ field: "local_id", message: t("required_local_id") }] : []),
            ...(!v.title.trim() ? [{ field: "title", message: t("required_title") }] : []),
          ]);
          return;
        }
        busy(form, async () => {
          const body = recordBody(v, original);
          try {
            const receipt = await call("ingest", "/v1/records", { method: "POST", body: { records: [body] }, query: extra });
            if (receipt.rejected?.length) {
              showErrors(form, detailsToErrors(receipt.rejected[0].errors, FIELDS, t("record_rejected")));
              return;
            }
            $("#form-notice", root).innerHTML = notice("info", t("working")).text;
            await stored(receipt.submission_id, query);
            const warned = warningsOf(receipt).length ? { warned: 1 } : {};
            go(href(recordPath(body.local_id), { ...extra, saved: 1, ...warned }));
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            showErrors(form, detailsToErrors(error.details, FIELDS, error.message));
          }
        });
      });
    },
  };
}
