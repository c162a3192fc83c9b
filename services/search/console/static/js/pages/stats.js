// Centre: the network's statistics as pictures, each with the same numbers as a table beside it.
import { ApiError, call } from "../api.js";
import { html } from "../dom.js";
import { bars, columns } from "../charts.js";
import { date, kind, number, t } from "../i18n.js";
import { chartPair as pair, notice, table } from "../widgets.js";

async function searchesPerDay() {
  try {
    return (await call("search", "/v1/stats/searches", { query: { days: 30 } })).days;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

// The network's changes per period (a member's rows summed), oldest first.
function perPeriod(rows, unit) {
  const totals = {};
  for (const row of rows) {
    const slot = (totals[row[unit]] ||= { added: 0, updated: 0, withdrawn: 0 });
    slot.added += row.added;
    slot.updated += row.updated;
    slot.withdrawn += row.withdrawn;
  }
  return Object.entries(totals).sort(([a], [b]) => a.localeCompare(b));
}

// The last twelve calendar months (UTC, like the API), a month without changes shown as 0.
function lastTwelveMonths(rows) {
  const totals = Object.fromEntries(perPeriod(rows, "month"));
  const now = new Date();
  const months = [];
  for (let back = 11; back >= 0; back -= 1) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    const key = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
    months.push([key, totals[key] || { added: 0, updated: 0, withdrawn: 0 }]);
  }
  return months;
}

function memberKindTable(rows, names, kinds) {
  const cells = {};
  for (const r of rows) {
    cells[r.member] ||= {};
    cells[r.member][r.kind] = (cells[r.member][r.kind] || 0) + r.count;
  }
  const body = Object.entries(cells).map(([code, byKind]) => [
    names[code] || code,
    ...kinds.map((k) => number(byKind[k] || 0)),
  ]);
  return table([t("member_name"), ...kinds.map(kind)], body, { caption: t("stats_member_kind"), id: "member-kind-table" });
}

export async function stats() {
  const [s, { members }, days] = await Promise.all([
    call("catalogue", "/v1/stats"),
    call("catalogue", "/v1/members"),
    searchesPerDay(),
  ]);
  const names = Object.fromEntries(members.map((m) => [m.code, m.name]));
  const byMember = Object.entries(s.records.by_member)
    .map(([code, value]) => ({ label: names[code] || code, value }))
    .sort((a, b) => b.value - a.value);
  const kinds = Object.keys(s.records.by_kind);
  const byKind = kinds.map((k) => ({ label: kind(k), value: s.records.by_kind[k] }));
  const months = lastTwelveMonths(s.months || []);
  const changes = months.map(([month, c]) => ({ label: month, value: c.added + c.updated }));
  const halfYears = perPeriod(s.half_years, "period");
  return {
    title: t("stats_title"),
    body: html`<h1>${t("stats_title")}</h1>
      <p class="lead">${t("stats_total", { total: number(s.total) })}</p>
      ${pair("by-member", t("stats_by_member"), bars(byMember, { title: t("stats_by_member"), id: "chart-member" }),
        [t("member_name"), t("stats_records")], byMember.map((i) => [i.label, number(i.value)]))}
      ${pair("by-kind", t("stats_by_kind"), bars(byKind, { title: t("stats_by_kind"), id: "chart-kind" }),
        [t("field_kind"), t("stats_records")], byKind.map((i) => [i.label, number(i.value)]))}
      <section aria-labelledby="mk-h"><h2 id="mk-h">${t("stats_member_kind")}</h2>${memberKindTable(s.records.by_member_kind_year, names, kinds)}</section>
      ${pair("changes", t("stats_changes"), columns(changes, { title: t("stats_changes"), id: "chart-changes" }),
        [t("stats_month"), t("stats_added"), t("stats_updated"), t("stats_withdrawn")],
        months.map(([p, c]) => [p, number(c.added), number(c.updated), number(c.withdrawn)]))}
      <section aria-labelledby="half-h"><h2 id="half-h">${t("stats_half_years")}</h2>
        ${table([t("stats_period"), t("stats_added"), t("stats_updated"), t("stats_withdrawn")],
          halfYears.map(([p, c]) => [p, number(c.added), number(c.updated), number(c.withdrawn)]),
          { caption: t("stats_half_years"), id: "half-years-table" })}
        <p class="hint">${t("stats_changes_hint")}</p></section>
      ${days
        ? pair("searches", t("stats_searches"), columns(days.map((d) => ({ label: date(d.date).slice(0, 5), value: d.searches })), { title: t("stats_searches"), id: "chart-searches" }),
            [t("stats_day"), t("stats_searches_n")], days.map((d) => [date(d.date), number(d.searches)]))
        : notice("info", t("stats_searches_missing"))}`,
  };
}
