// Centre: what people look for (issue 17) — the most searched queries, those that found nothing,
// those whose results nobody opened, searches per day, each member's records shown and opened.
// The period (from/to) lives in the URL: a link opens the same report, the back button works.
import { ApiError, call } from "../api.js";
import { $, html } from "../dom.js";
import { columns } from "../charts.js";
import { detailsToErrors, field, showErrors, values } from "../forms.js";
import { date, number, t } from "../i18n.js";
import { go, href } from "../router.js";
import { chartPair, notice, table } from "../widgets.js";

const PATH = "/centre/analytics";
const ROWS = 20;
const PERIOD_FIELDS = ["from", "to"];
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The period asked for in the URL (the API checks it; empty: its last 30 days). */
function asked(query) {
  return { from: query.get("from") || "", to: query.get("to") || "" };
}

/** The report, or the API's refusal of the period (422) to show beside the form's fields. */
async function report(period) {
  try {
    return { body: await call("search", "/v1/analytics", { query: { ...period, limit: ROWS } }) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) return { refused: error };
    throw error;
  }
}

async function memberNames() {
  try {
    const { members } = await call("catalogue", "/v1/members");
    return Object.fromEntries(members.map((m) => [m.code, m.name]));
  } catch (error) {
    if (error instanceof ApiError) return {}; // the codes are shown instead of the names
    throw error;
  }
}

function periodForm(period) {
  return html`<form id="analytics-period" class="filters" novalidate>
    ${field({ name: "from", label: t("analytics_from"), type: "date", value: period.from })}
    ${field({ name: "to", label: t("analytics_to"), type: "date", value: period.to })}
    <button type="submit" class="button button-secondary">${t("analytics_show")}</button>
  </form>`;
}

function queryTable(id, caption, rows, headers, cells, empty) {
  return html`<section aria-labelledby="${id}-h"><h2 id="${id}-h">${caption}</h2>
    ${rows.length
      ? table(headers, rows.map(cells), { caption, id })
      : html`<p class="empty">${empty}</p>`}</section>`;
}

function perDay(days) {
  const heading = t("analytics_per_day");
  const chart = columns(
    days.map((d) => ({ label: date(d.date).slice(0, 5), value: d.searches })),
    { title: heading, id: "chart-analytics-days" },
  );
  return chartPair("analytics-days", heading, chart,
    [t("stats_day"), t("analytics_searches"), t("analytics_zero"), t("analytics_opened")],
    days.map((d) => [date(d.date), number(d.searches), number(d.zero), number(d.opened)]));
}

function share(part, whole) {
  return whole ? `${Math.round((part / whole) * 100)} %` : "—";
}

function memberTable(members, names) {
  return queryTable("member-counts", t("analytics_members"), members,
    [t("member_name"), t("analytics_shown"), t("analytics_opened"), t("analytics_open_rate")],
    (m) => [names[m.member] ? html`${names[m.member]} <span class="muted">(${m.member})</span>` : html`<code>${m.member}</code>`,
      number(m.shown), number(m.opened), share(m.opened, m.shown)],
    t("analytics_none"));
}

function sections(body, names) {
  const q = (row) => html`<span lang="vi">${row.query}</span>`;
  return html`
    <p class="lead" id="analytics-totals">${t("analytics_totals", {
      from: date(body.from), to: date(body.to), searches: number(body.totals.searches),
      queries: number(body.totals.queries), zero: number(body.totals.zero), opened: number(body.totals.opened),
    })}</p>
    <p class="hint">${t("analytics_privacy")}</p>
    ${queryTable("top-queries", t("analytics_top"), body.top_queries,
      [t("analytics_query"), t("analytics_searches"), t("analytics_zero"), t("analytics_opened")],
      (r) => [q(r), number(r.searches), number(r.zero), number(r.opened)], t("analytics_none"))}
    ${queryTable("zero-queries", t("analytics_zero_title"), body.zero_result_queries,
      [t("analytics_query"), t("analytics_zero"), t("analytics_searches")],
      (r) => [q(r), number(r.zero), number(r.searches)], t("analytics_zero_none"))}
    ${queryTable("unopened-queries", t("analytics_unopened_title"), body.unopened_queries,
      [t("analytics_query"), t("analytics_searches")],
      (r) => [q(r), number(r.searches)], t("analytics_unopened_none"))}
    ${perDay(body.days)}
    ${memberTable(body.members, names)}`;
}

export async function analytics({ query }) {
  const period = asked(query);
  const [{ body, refused }, names] = await Promise.all([report(period), memberNames()]);
  const shown = body ? { from: body.from, to: body.to } : period;
  return {
    title: t("analytics_title"),
    body: html`<h1>${t("analytics_title")}</h1>
      <p>${t("analytics_intro")}</p>
      ${periodForm(shown)}
      ${body ? sections(body, names) : notice("info", t("analytics_pick_period"))}`,
    mount(root) {
      const form = $("#analytics-period", root);
      if (refused) showErrors(form, detailsToErrors(refused.details, PERIOD_FIELDS, refused.message));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const v = values(form);
        const errors = PERIOD_FIELDS.filter((name) => v[name] && !ISO_DAY.test(v[name]))
          .map((name) => ({ field: name, message: t("analytics_bad_day") }));
        if (!errors.length && v.from && v.to && v.from > v.to) errors.push({ field: "from", message: t("analytics_backwards") });
        if (errors.length) {
          showErrors(form, errors);
          return;
        }
        go(href(PATH, { from: v.from, to: v.to }));
      });
    },
  };
}
