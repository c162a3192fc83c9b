// Centre: who is up to date (the freshness board), a what-if as of a date, the reminder log.
import { ApiError, call } from "../api.js";
import { $, html } from "../dom.js";
import { busy, detailsToErrors, field, showErrors, values } from "../forms.js";
import { date, dateTime, number, state, t } from "../i18n.js";
import { go, href } from "../router.js";
import { stateTag, table } from "../widgets.js";

const STATES = ["ok", "due_soon", "overdue", "escalated"];
const STATE_ORDER = { escalated: 0, overdue: 1, due_soon: 2, ok: 3 };
const SORTS = {
  state: (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || (a.due_at || "").localeCompare(b.due_at || ""),
  due: (a, b) => (a.due_at || "").localeCompare(b.due_at || ""),
  name: (a, b) => a.name.localeCompare(b.name, "vi"),
  last_update: (a, b) => (a.last_update_at || "").localeCompare(b.last_update_at || ""),
};
const RUN_STATUSES = ["pending", "sending", "sent", "retry", "failed", "superseded"];
// The last what-if answer, shown once after the board re-renders as of its date (memory only).
let lastWhatIf = null;

function sortLink(query, key, label) {
  const current = query.get("sort") || "state";
  const params = { ...Object.fromEntries(query.entries()), sort: key };
  return html`<a href="${href("/centre", params)}"${current === key ? html` aria-current="true" class="sorted"` : ""}>${label}${current === key ? html`<span aria-hidden="true"> ▲</span><span class="visually-hidden"> ${t("sorted")}</span>` : ""}</a>`;
}

export async function board({ query }) {
  const asOf = query.get("as_of") || "";
  const chosen = STATES.includes(query.get("state")) ? query.get("state") : "";
  const page = await call("notify", "/v1/freshness", { query: { as_of: asOf ? `${asOf}T08:00:00` : undefined } });
  const sort = SORTS[query.get("sort")] || SORTS.state;
  const shown = page.members.filter((m) => !chosen || m.state === chosen).sort(sort);
  const rows = shown.map((m) => [
    html`<a href="${href(`/centre/members/${encodeURIComponent(m.code)}`)}">${m.name}</a>`,
    html`${stateTag(m.state)}`,
    date(m.last_update_at) || t("never"),
    date(m.due_at) || "—",
    m.days_overdue ? number(m.days_overdue) : "—",
    m.training_met ? t("training_met") : html`<strong>${t("training_not_met")}</strong>`,
    date(m.last_training_at) || t("never"),
  ]);
  const counts = STATES.map(
    (s) => html`<li><a href="${href("/centre", { ...Object.fromEntries(query.entries()), state: chosen === s ? undefined : s })}"${chosen === s ? html` aria-current="true"` : ""}>${stateTag(s)} <span class="count">${number(page.counts[s] || 0)}</span></a></li>`,
  );
  return {
    title: t("freshness_board_title"),
    body: html`<h1>${t("freshness_board_title")}</h1>
      <p>${t("freshness_board_intro", { as_of: dateTime(page.as_of) })}</p>
      <ul class="state-counts" aria-label="${t("filter_by_state")}">${counts}</ul>
      ${table(
        [
          sortLink(query, "name", t("member_name")),
          sortLink(query, "state", t("col_state")),
          sortLink(query, "last_update", t("last_update")),
          sortLink(query, "due", t("due_at")),
          t("days_overdue"),
          t("training_duty"),
          t("last_training"),
        ],
        rows,
        { caption: t("freshness_board_title"), id: "board" },
      )}
      <section class="card" aria-labelledby="whatif-h">
        <h2 id="whatif-h">${t("whatif_title")}</h2>
        <p>${t("whatif_intro")}</p>
        <form id="whatif" novalidate>
          ${field({ name: "as_of", label: t("whatif_date"), hint: t("whatif_hint"), type: "date", value: asOf, required: true })}
          <button type="submit" class="button">${t("whatif_run")}</button>
          ${asOf ? html` <a href="${href("/centre")}">${t("whatif_today")}</a>` : ""}
        </form>
        <div id="whatif-result"></div>
      </section>`,
    mount(root) {
      const form = $("#whatif", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const { as_of: when } = values(form);
        if (!when) {
          showErrors(form, [{ field: "as_of", message: t("whatif_missing") }]);
          return;
        }
        busy(form, async () => {
          try {
            const run = await call("notify", "/v1/reminders/run", { method: "POST", query: { as_of: `${when}T08:00:00`, dry_run: "true" } });
            lastWhatIf = run;
            go(href("/centre", { ...Object.fromEntries(query.entries()), as_of: when }));
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            showErrors(form, detailsToErrors(error.details, ["as_of"], error.message));
          }
        });
      });
      if (lastWhatIf && asOf) {
        $("#whatif-result", root).innerHTML = whatIf(lastWhatIf).text;
        lastWhatIf = null;
      }
    },
  };
}

/** "vmu/2027-06-02/overdue-2/email" → "vmu — Quá hạn 2 · email · kỳ 2027-06-02". */
function plannedLine(line) {
  const [member, cycle, stage, channel] = line.split("/");
  if (!channel) return line;
  const [base, n] = stage.split("-");
  const name = t(`stage_${base}`, {}, base) + (n ? ` ${n}` : "");
  return `${member === "_centre" ? t("role_centre") : member} — ${name} · ${channel} · ${t("cycle_of", { cycle })}`;
}

function whatIf(run) {
  return html`<div class="notice notice-info" role="status">
    <h3>${t("whatif_result", { as_of: dateTime(run.as_of) })}</h3>
    <p>${t("whatif_counts", { evaluated: number(run.evaluated), planned: number(run.planned) })}</p>
    ${run.would_send.length ? html`<ul>${run.would_send.map((line) => html`<li>${plannedLine(line)}</li>`)}</ul>` : html`<p>${t("whatif_nothing")}</p>`}
  </div>`;
}

export async function reminders({ query }) {
  const member = query.get("member") || "";
  const status = RUN_STATUSES.includes(query.get("status")) ? query.get("status") : "";
  const page = await call("notify", "/v1/reminders", { query: { member, status, limit: 200 } });
  const rows = page.reminders.map((r) => [
    dateTime(r.created_at),
    html`<code>${r.member}</code>`,
    t(`stage_${r.stage}`, {}, r.stage),
    r.channel,
    r.recipient,
    html`${stateTag(r.status, "reminder")}`,
    dateTime(r.sent_at) || "—",
    r.opened_at ? dateTime(r.opened_at) : "—",
    r.attested_at ? dateTime(r.attested_at) : "—",
    r.last_error || "",
  ]);
  return {
    title: t("reminders_title"),
    body: html`<h1>${t("reminders_title")}</h1>
      <p>${Object.entries(page.counts).map(([k, v]) => html`<span class="pill">${t(`reminder_count_${k}`, {}, k)}: <strong>${number(v)}</strong></span> `)}</p>
      <form id="reminder-filter" class="filters">
        ${field({ name: "member", label: t("member_code"), value: member, width: "20" })}
        ${field({ name: "status", label: t("col_state"), value: status, options: [["", t("all")], ...RUN_STATUSES.map((s) => [s, state(s, "reminder")])] })}
        <button type="submit" class="button button-secondary">${t("filter")}</button>
      </form>
      ${rows.length
        ? table([t("col_when"), t("member_code"), t("col_stage"), t("col_channel"), t("col_recipient"), t("col_state"), t("col_sent"), t("col_opened"), t("col_attested"), t("col_error")], rows, { caption: t("reminders_title"), id: "reminders" })
        : html`<p class="empty">${t("reminders_none")}</p>`}`,
    mount(root) {
      const form = $("#reminder-filter", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        go(href("/centre/reminders", values(form)));
      });
    },
  };
}

