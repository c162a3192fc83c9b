// Member staff: the organisation's profile and six-month status, submissions, harvest source.
import { ApiError, call } from "../api.js";
import { $, html, safeUrl } from "../dom.js";
import { busy } from "../forms.js";
import { date, dateTime, fieldName, number, state, t } from "../i18n.js";
import { href } from "../router.js";
import { actingMember, actingQuery } from "../session.js";
import { dl, pager, stateTag, table } from "../widgets.js";

function freshnessBlock(fresh) {
  return html`<section class="card" aria-labelledby="fresh-h" id="freshness">
    <h2 id="fresh-h">${t("freshness_title")}</h2>
    <p class="state-line">${stateTag(fresh.state)}
      ${fresh.state === "ok" ? t("freshness_ok_text") : t("freshness_due_text")}</p>
    ${dl([
      [t("last_update"), date(fresh.last_update_at) || t("never")],
      [t("due_at"), date(fresh.due_at) || "—"],
      [t("days_overdue"), fresh.days_overdue ? number(fresh.days_overdue) : "—"],
      [t("training_duty"), fresh.training_met ? t("training_met") : t("training_not_met")],
      [t("last_training"), date(fresh.last_training_at) || t("never")],
      [t("training_due"), date(fresh.training_due_at) || "—"],
    ])}
  </section>`;
}

export async function overview({ query }) {
  const code = actingMember(query);
  const [member, fresh] = await Promise.all([
    call("catalogue", `/v1/members/${encodeURIComponent(code)}`),
    call("notify", `/v1/freshness/${encodeURIComponent(code)}`).catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
  ]);
  const website = safeUrl(member.website);
  return {
    title: member.name,
    body: html`<h1>${member.name}</h1>
      ${member.name_en ? html`<p class="lead" lang="en">${member.name_en}</p>` : ""}
      <div class="grid-2">
        <section class="card" aria-labelledby="profile-h">
          <h2 id="profile-h">${t("profile_title")}</h2>
          ${dl([
            [t("member_code"), member.code],
            [t("member_type"), t(`type_${member.type}`, {}, member.type)],
            [t("member_status"), t(`member_status_${member.status}`, {}, member.status)],
            [t("website"), website ? html`<a href="${website}" rel="noopener">${member.website}</a>` : "—"],
            [t("contact_email"), member.contact_email || "—"],
          ])}
        </section>
        ${fresh ? freshnessBlock(fresh) : html`<section class="card"><h2>${t("freshness_title")}</h2><p>${t("freshness_unknown")}</p></section>`}
      </div>
      <section class="card" aria-labelledby="attest-h">
        <h2 id="attest-h">${t("attest_title")}</h2>
        <p>${t("attest_text")}</p>
        <form id="attest"><button type="submit" class="button">${t("attest_button")}</button></form>
        <div id="attest-result"></div>
      </section>
      <section class="card" aria-labelledby="tasks-h">
        <h2 id="tasks-h">${t("tasks_title")}</h2>
        <ul class="tasks">
          <li><a href="${href("/member/import")}">${t("task_import")}</a></li>
          <li><a href="${href("/member/records/new")}">${t("task_add")}</a></li>
          <li><a href="${href("/member/records")}">${t("task_records")}</a></li>
          <li><a href="${href("/member/submissions")}">${t("task_submissions")}</a></li>
          <li><a href="${href("/member/quality")}">${t("task_quality")}</a></li>
        </ul>
      </section>`,
    mount(root) {
      const form = $("#attest", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(form, async () => {
          const result = $("#attest-result", root);
          try {
            const updated = await call("notify", `/v1/members/${encodeURIComponent(code)}/attest`, { method: "POST" });
            const fresh = updated?.freshness || updated;
            result.innerHTML = html`<div class="notice notice-ok" role="status"><p>${t("attest_done", { due: date(fresh?.due_at) || "—" })}</p></div>`.text;
            const block = $("#freshness", root);
            if (block && fresh?.state) block.outerHTML = freshnessBlock(fresh).text;
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            result.innerHTML = html`<div class="notice notice-error" role="alert"><p>${error.message}</p></div>`.text;
          }
        });
      });
    },
  };
}

const PAGE = 20;

export async function submissions({ query }) {
  const offset = Number(query.get("offset") || 0);
  const body = await call("ingest", "/v1/submissions", {
    query: { limit: PAGE, offset, ...actingQuery(query) },
  });
  const rows = body.submissions.map((s) => [
    html`<a href="${href(`/member/submissions/${encodeURIComponent(s.submission_id)}`)}">${dateTime(s.created_at)}</a>`,
    t(`source_${s.source}`, {}, s.source),
    html`${stateTag(s.state, "submission")}`,
    number(s.total),
    number(s.accepted),
    number((s.total || 0) - (s.accepted || 0)),
  ]);
  return {
    title: t("submissions_title"),
    body: html`<h1>${t("submissions_title")}</h1>
      <p>${t("submissions_intro")}</p>
      ${rows.length
        ? table([t("col_when"), t("col_source"), t("col_state"), t("col_total"), t("col_accepted"), t("col_rejected")], rows, { caption: t("submissions_title") })
        : html`<p class="empty">${t("submissions_none")}</p>`}
      ${pager("/member/submissions", query, offset, PAGE, body.total)}`,
  };
}

const QUALITY_PAGE = 50;

function problemCell(p) {
  if (!p.record_id) return t("quality_website");
  const localId = p.record_id.slice(p.record_id.indexOf(":") + 1);
  return html`<a href="${href(`/member/records/${encodeURIComponent(localId)}`)}">${localId}</a>`;
}

function fieldOf(loc) {
  const names = (loc || []).filter((part) => typeof part === "string");
  return names.length ? fieldName(names[names.length - 1]) : "—";
}

export async function quality({ query }) {
  const code = actingMember(query);
  const offset = Number(query.get("offset") || 0);
  const body = await call("catalogue", `/v1/members/${encodeURIComponent(code)}/quality`, {
    query: { offset, limit: QUALITY_PAGE },
  });
  const counts = Object.entries(body.counts || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const countRows = counts.map(([c, n]) => [t(`problem_${c}`, {}, c), html`<code>${c}</code>`, number(n)]);
  const problemRows = (body.problems || []).map((p) => [
    problemCell(p),
    t(`problem_${p.code}`, {}, p.code),
    fieldOf(p.loc),
    p.msg,
  ]);
  const score = body.score === null || body.score === undefined ? t("quality_no_score") : `${body.score}/100`;
  return {
    title: t("quality_title"),
    body: html`<h1>${t("quality_title")}</h1>
      <p>${t("quality_intro")}</p>
      <section class="card" aria-labelledby="score-h" id="quality-score">
        <h2 id="score-h">${t("quality_score")}</h2>
        <p class="lead">${score}</p>
        ${dl([
          [t("quality_records"), number(body.records)],
          [t("quality_flagged"), number(body.records_with_problems)],
        ])}
      </section>
      ${countRows.length
        ? html`<h2>${t("quality_counts")}</h2>
            ${table([t("col_problem"), t("col_code"), t("col_count")], countRows, { caption: t("quality_counts"), id: "quality-counts" })}
            <h2>${t("quality_problems")}</h2>
            ${table([t("col_record"), t("col_problem"), t("col_field"), t("col_message")], problemRows, { caption: t("quality_problems"), id: "quality-problems" })}
            ${pager("/member/quality", query, offset, QUALITY_PAGE, body.total_problems)}`
        : html`<p class="empty">${t("quality_none")}</p>`}`,
  };
}

export async function harvest({ query }) {
  const code = actingMember(query);
  let sources;
  try {
    sources = (await call("ingest", "/v1/harvest-sources", { query: { member: code } })).sources;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      return { title: t("member_harvest_title"), body: html`<h1>${t("member_harvest_title")}</h1><p>${t("member_harvest_forbidden")}</p>` };
    }
    throw error;
  }
  const mine = sources.filter((s) => s.member === code);
  return {
    title: t("member_harvest_title"),
    body: html`<h1>${t("member_harvest_title")}</h1>
      ${mine.length
        ? mine.map(
            (s) => html`<section class="card"><h2>${s.name || s.base_url}</h2>${dl([
              [t("harvest_url"), s.base_url],
              [t("harvest_state"), s.enabled === false ? t("harvest_paused") : t(`harvest_state_${s.state}`, {}, s.state)],
              [t("harvest_last_run"), s.last_run ? dateTime(s.last_run.finished_at || s.last_run.started_at) : t("never")],
              [t("harvest_last_counts"), s.last_run?.counts ? JSON.stringify(s.last_run.counts) : "—"],
              [t("harvest_last_success"), dateTime(s.last_success_at) || t("never")],
              [t("harvest_last_error"), s.last_error || "—"],
            ])}</section>`,
          )
        : html`<p class="empty">${t("member_harvest_none")}</p>`}`,
  };
}
