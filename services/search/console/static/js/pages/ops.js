// Centre: harvest sources, duplicate candidates, queue depths, and the audit log of every service.
import { ApiError, call } from "../api.js";
import { $, $$, html, safeUrl } from "../dom.js";
import { busy, detailsToErrors, field, showErrors, values } from "../forms.js";
import { dateTime, kind, number, t } from "../i18n.js";
import { go, href } from "../router.js";
import { dl, notice, pager, table } from "../widgets.js";

const DUP_PAGE = 10;
const HARVEST_FIELDS = ["member", "base_url", "metadata_prefix", "set", "schedule", "name"];

function missingRoute(error) {
  return error instanceof ApiError && (error.status === 404 || error.status === 405);
}

function sourceRows(sources) {
  return sources.map((s) => [
    html`<a href="${href(`/centre/harvest/${encodeURIComponent(s.id)}`)}">${s.name || s.base_url}</a>`,
    html`<code>${s.member}</code>`,
    s.schedule,
    s.enabled === false ? html`<span class="tag tag-paused">${t("harvest_paused")}</span>` : t(`harvest_state_${s.state}`, {}, s.state),
    dateTime(s.last_success_at) || t("never"),
    s.last_error ? html`<span class="error-text">${s.last_error}</span>` : "—",
    html`<div class="row-actions" data-id="${s.id}" data-enabled="${s.enabled === false ? "0" : "1"}">
      <button type="button" class="button button-small" data-act="run"${s.enabled === false ? " disabled" : ""}>${t("harvest_run")}</button>
      <button type="button" class="button button-small button-secondary" data-act="toggle">${s.enabled === false ? t("harvest_resume") : t("harvest_pause")}</button>
    </div>`,
  ]);
}

export async function harvestSources() {
  const [{ sources }, { members }] = await Promise.all([
    call("ingest", "/v1/harvest-sources"),
    call("catalogue", "/v1/members"),
  ]);
  const memberOptions = [["", t("choose_member")], ...members.map((m) => [m.code, `${m.name} (${m.code})`])];
  return {
    title: t("harvest_title"),
    body: html`<h1>${t("harvest_title")}</h1>
      <div id="harvest-result"></div>
      ${sources.length
        ? table([t("harvest_name"), t("member_code"), t("harvest_schedule"), t("harvest_state"), t("harvest_last_success"), t("harvest_last_error"), ""], sourceRows(sources), { caption: t("harvest_title"), id: "sources" })
        : html`<p class="empty">${t("harvest_none")}</p>`}
      <section class="card" aria-labelledby="add-h">
        <h2 id="add-h">${t("harvest_add")}</h2>
        <form id="harvest-form" data-draft novalidate>
          ${field({ name: "member", label: t("key_member"), required: true, options: memberOptions })}
          ${field({ name: "base_url", label: t("harvest_url"), hint: t("hint_harvest_url"), type: "url", required: true })}
          ${field({ name: "name", label: t("harvest_name"), hint: t("hint_harvest_name") })}
          ${field({ name: "metadata_prefix", label: t("harvest_prefix"), value: "oai_dc", options: [["oai_dc", "oai_dc"], ["marc21", "marc21"], ["marcxml", "marcxml"]] })}
          ${field({ name: "set", label: t("harvest_set"), hint: t("hint_harvest_set") })}
          ${field({ name: "schedule", label: t("harvest_schedule"), hint: t("hint_harvest_schedule"), value: "daily" })}
          <button type="submit" class="button">${t("harvest_add")}</button>
        </form>
      </section>`,
    mount(root, { refresh }) {
      const form = $("#harvest-form", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const v = values(form);
        const body = Object.fromEntries(Object.entries(v).filter(([, x]) => x.trim()).map(([k, x]) => [k, x.trim()]));
        busy(form, async () => {
          try {
            await call("ingest", "/v1/harvest-sources", { method: "POST", body });
            refresh();
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            showErrors(form, detailsToErrors(error.details, HARVEST_FIELDS, error.message));
          }
        });
      });
      for (const button of $$(".row-actions button", root)) {
        button.addEventListener("click", async () => {
          const row = button.closest(".row-actions");
          const id = encodeURIComponent(row.dataset.id);
          button.disabled = true;
          try {
            if (button.dataset.act === "run") await call("ingest", `/v1/harvest-sources/${id}/run`, { method: "POST" });
            else await call("ingest", `/v1/harvest-sources/${id}`, { method: "PATCH", body: { enabled: row.dataset.enabled !== "1" } });
            refresh();
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            $("#harvest-result", root).innerHTML = notice("error", error.message).text;
            button.disabled = false;
          }
        });
      }
    },
  };
}

export async function harvestSource({ params }) {
  const s = await call("ingest", `/v1/harvest-sources/${encodeURIComponent(params.id)}`);
  const runs = (s.runs || []).map((r) => [
    dateTime(r.started_at),
    dateTime(r.finished_at) || "—",
    t(`harvest_state_${r.state}`, {}, r.state || "—"),
    r.counts ? Object.entries(r.counts).map(([k, v]) => `${k}: ${v}`).join(", ") : "—",
    r.error || "—",
  ]);
  return {
    title: s.name || s.base_url,
    body: html`<p><a href="${href("/centre/harvest")}">${t("back")}</a></p>
      <h1>${s.name || s.base_url}</h1>
      <section class="card">${dl([
        [t("key_member"), s.member],
        [t("harvest_url"), safeUrl(s.base_url) ? html`<a href="${s.base_url}" rel="noopener">${s.base_url}</a>` : s.base_url],
        [t("harvest_prefix"), s.metadata_prefix],
        [t("harvest_set"), s.set || "—"],
        [t("harvest_schedule"), s.schedule],
        [t("harvest_state"), s.enabled === false ? t("harvest_paused") : t(`harvest_state_${s.state}`, {}, s.state)],
        [t("harvest_last_success"), dateTime(s.last_success_at) || t("never")],
        [t("harvest_last_error"), s.last_error || "—"],
      ])}</section>
      <h2>${t("harvest_runs")}</h2>
      ${runs.length ? table([t("harvest_started"), t("harvest_finished"), t("harvest_state"), t("harvest_counts"), t("col_error")], runs, { caption: t("harvest_runs") }) : html`<p class="empty">${t("harvest_no_runs")}</p>`}`,
  };
}

function side(record, heading) {
  return html`<div class="side"><h3>${heading}</h3>${dl([
    [t("field_title"), record.title],
    [t("key_member"), record.member],
    [t("field_kind"), kind(record.kind)],
    [t("field_year"), record.year ?? "—"],
    [t("field_creators"), (record.creators || []).join("; ") || "—"],
    [t("field_publisher"), record.publisher],
    [t("field_identifiers"), Object.entries(record.identifiers || {}).map(([k, v]) => `${k}: ${v}`).join(" · ") || "—"],
    [t("field_url"), record.url],
  ])}</div>`;
}

export async function duplicates({ query }) {
  const offset = Number(query.get("offset") || 0);
  let page;
  try {
    page = await call("catalogue", "/v1/duplicates", { query: { state: "candidate", limit: DUP_PAGE, offset, member: query.get("member") } });
  } catch (error) {
    if (missingRoute(error)) return { title: t("duplicates_title"), body: html`<h1>${t("duplicates_title")}</h1>${notice("info", t("not_available"))}` };
    throw error;
  }
  const pairs = page.pairs || [];
  return {
    title: t("duplicates_title"),
    body: html`<h1>${t("duplicates_title")}</h1>
      <p>${t("duplicates_intro")}</p>
      <div id="dup-result"></div>
      ${pairs.length
        ? pairs.map(
            (p, i) => html`<section class="card pair" aria-labelledby="pair-${i}">
              <h2 id="pair-${i}">${t("duplicate_pair", { n: number(offset + i + 1) })} <span class="muted">${p.key ? t("dup_same", { key: p.key.toUpperCase() }) : ""}</span></h2>
              <div class="side-by-side">${side(p.a, "A")}${side(p.b, "B")}</div>
              <div class="actions" data-a="${p.a.id}" data-b="${p.b.id}">
                <button type="button" class="button" data-decision="confirm">${t("duplicate_confirm")}</button>
                <button type="button" class="button button-secondary" data-decision="reject">${t("duplicate_reject")}</button>
              </div>
            </section>`,
          )
        : html`<p class="empty">${t("duplicates_none")}</p>`}
      ${pager("/centre/duplicates", query, offset, DUP_PAGE, page.total)}`,
    mount(root, { refresh }) {
      for (const button of $$("[data-decision]", root)) {
        button.addEventListener("click", async () => {
          const box = button.closest(".actions");
          try {
            await call("catalogue", "/v1/duplicates/decision", { method: "POST", body: { a: box.dataset.a, b: box.dataset.b, decision: button.dataset.decision } });
            refresh();
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            $("#dup-result", root).innerHTML = notice("error", error.message).text;
          }
        });
      }
    },
  };
}

export async function queues() {
  let body;
  try {
    body = await call("catalogue", "/v1/ops/queues");
  } catch (error) {
    if (missingRoute(error)) return { title: t("queues_title"), body: html`<h1>${t("queues_title")}</h1>${notice("info", t("not_available"))}` };
    throw error;
  }
  const rows = body.queues.map((q) => [
    html`<code>${q.name}</code>`,
    number(q.messages),
    q.dlq_messages === null || q.dlq_messages === undefined
      ? "—"
      : q.dlq_messages
        ? html`<strong class="error-text">${number(q.dlq_messages)}</strong>`
        : "0",
  ]);
  return {
    title: t("queues_title"),
    body: html`<h1>${t("queues_title")}</h1>
      <p>${t("queues_intro")}</p>
      ${table([t("queue_name"), t("queue_messages"), t("queue_dlq")], rows, { caption: t("queues_title"), id: "queues" })}`,
  };
}

const SERVICES = ["ingest", "catalogue", "notify", "search"];
const AUDIT_PAGE = 50;
const ACTIONS = [
  "member.registered", "member.updated", "member.suspended", "key.issued", "key.revoked",
  "session.opened", "records.submitted", "import.started", "record.withdrawn", "record.restored",
  "attested", "reminders.run", "harvest.source_added", "harvest.source_changed",
  "harvest.source_deleted", "harvest.run_started", "duplicate.confirmed", "duplicate.rejected",
  "replay", "reindex",
];
const ROOT_KEY = "root";

/** The four services' audit logs merged, newest first; a service that fails is named. */
async function mergedAudit(filters) {
  const answers = await Promise.all(
    SERVICES.map((service) =>
      call(service, "/v1/audit", { query: { ...filters, limit: AUDIT_PAGE } })
        .then((body) => ({ service, body }))
        .catch((error) => {
          if (error instanceof ApiError) return { service, error };
          throw error;
        }),
    ),
  );
  const entries = answers
    .flatMap((a) => (a.body?.entries || []).map((e) => ({ ...e, service: e.service || a.service })))
    .sort((x, y) => (y.at || "").localeCompare(x.at || ""))
    .slice(0, AUDIT_PAGE);
  const total = answers.reduce((sum, a) => sum + (a.body?.total || 0), 0);
  return { entries, total, failed: answers.filter((a) => a.error) };
}

/** A day in the centre's time zone as the instant it starts (``to``: the next day's start). */
function dayStart(day, next = false) {
  if (!day) return "";
  const start = new Date(`${day}T00:00:00+07:00`);
  if (next) start.setUTCDate(start.getUTCDate() + 1);
  return start.toISOString();
}

export async function audit({ query }) {
  const filters = {
    member: query.get("member") || "",
    actor: query.get("actor") || "",
    action: ACTIONS.includes(query.get("action")) ? query.get("action") : "",
    from: query.get("from") || "",
    to: query.get("to") || "",
  };
  const sent = { ...filters, from: dayStart(filters.from), to: dayStart(filters.to, true) };
  const [{ entries, total, failed }, { keys: people }, { members: all }] = await Promise.all([
    mergedAudit(sent),
    call("ingest", "/v1/keys"),
    call("catalogue", "/v1/members"),
  ]);
  const personOptions = [
    ["", t("all")],
    [ROOT_KEY, t("root_key")],
    ...people.map((k) => [k.key_id, `${k.label || k.key_id} (${k.key_id})`]),
  ];
  const memberOptions = [["", t("all")], ...all.map((m) => [m.code, `${m.name} (${m.code})`])];
  const rows = entries.map((e) => [
    dateTime(e.at),
    e.service,
    html`<code>${e.action}</code>`,
    html`${e.actor_label || "—"} <span class="muted">(${t(`role_${e.actor_role}`, {}, e.actor_role || "?")}, ${e.actor_key_id || "?"})</span>`,
    e.member || "—",
    e.target || "—",
  ]);
  return {
    title: t("audit_title"),
    body: html`<h1>${t("audit_title")}</h1>
      <form id="audit-filter" class="filters">
        ${field({ name: "member", label: t("member_code"), value: filters.member, options: memberOptions })}
        ${field({ name: "actor", label: t("audit_actor"), value: filters.actor, options: personOptions })}
        ${field({ name: "action", label: t("audit_action"), value: filters.action, options: [["", t("all")], ...ACTIONS.map((a) => [a, a])] })}
        ${field({ name: "from", label: t("audit_from"), type: "date", value: filters.from })}
        ${field({ name: "to", label: t("audit_to"), type: "date", value: filters.to })}
        <button type="submit" class="button button-secondary">${t("filter")}</button>
      </form>
      ${failed.map((f) => notice("warn", t("audit_failed", { service: f.service, message: f.error.message })))}
      <p class="muted">${t("audit_shown", { shown: number(entries.length), total: number(total) })}</p>
      ${rows.length
        ? table([t("col_when"), t("audit_service"), t("audit_action"), t("audit_actor"), t("member_code"), t("audit_target")], rows, { caption: t("audit_title"), id: "audit" })
        : html`<p class="empty">${t("audit_none")}</p>`}`,
    mount(root) {
      const form = $("#audit-filter", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        go(href("/centre/audit", values(form)));
      });
    },
  };
}
