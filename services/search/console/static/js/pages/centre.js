// Centre staff: the members of the network (register, edit, suspend) and the people's keys.
import { ApiError, call } from "../api.js";
import { $, $$, html } from "../dom.js";
import { busy, detailsToErrors, field, restoreDraft, showErrors, values } from "../forms.js";
import { dateTime, memberTypeOptions, t } from "../i18n.js";
import { go, href } from "../router.js";
import { notice, stateTag, table } from "../widgets.js";

const MEMBER_FIELDS = ["code", "name", "name_en", "type", "address", "website", "contact_email", "update_cycle_months", "webhook_url", "import_reports"];

export async function members() {
  const { members: list } = await call("catalogue", "/v1/members");
  const rows = list.map((m) => [
    html`<a href="${href(`/centre/members/${encodeURIComponent(m.code)}`)}">${m.name}</a>`,
    html`<code>${m.code}</code>`,
    t(`type_${m.type}`, {}, m.type),
    html`${stateTag(m.status, "member")}`,
    html`<a href="${href("/member", { member: m.code })}">${t("open_as_member")}</a>`,
  ]);
  return {
    title: t("members_title"),
    body: html`<h1>${t("members_title")}</h1>
      <p><a class="button" href="${href("/centre/members/new")}">${t("member_register")}</a></p>
      ${table([t("member_name"), t("member_code"), t("member_type"), t("member_status"), ""], rows, { caption: t("members_title"), id: "members" })}`,
  };
}

function memberFields(m, editing) {
  return html`
    ${editing
      ? html`<input type="hidden" name="code" value="${m.code}"><input type="hidden" name="webhook_url" value="${m.webhook_url ?? ""}">`
      : field({ name: "code", label: t("member_code"), hint: t("hint_member_code"), required: true, value: m.code, width: "20", autocomplete: "off" })}
    ${field({ name: "name", label: t("member_name"), hint: t("hint_member_name"), required: true, value: m.name })}
    ${field({ name: "name_en", label: t("member_name_en"), value: m.name_en })}
    ${field({ name: "type", label: t("member_type"), required: true, value: m.type || "university", options: memberTypeOptions() })}
    ${field({ name: "address", label: t("member_address"), value: m.address })}
    ${field({ name: "website", label: t("website"), hint: t("hint_url"), type: "url", value: m.website })}
    ${field({ name: "contact_email", label: t("contact_email"), hint: t("hint_contact_email"), type: "email", value: m.contact_email, autocomplete: "off" })}
    ${field({ name: "update_cycle_months", label: t("member_cycle"), hint: t("hint_cycle"), value: m.update_cycle_months ?? 6, inputmode: "numeric", width: "3" })}
    ${field({ name: "import_reports", label: t("member_import_reports"), hint: t("hint_import_reports"), required: true, value: m.import_reports === false ? "false" : "true", options: [["true", t("import_reports_on")], ["false", t("import_reports_off")]] })}`;
}

function memberBody(v) {
  const out = {};
  for (const name of MEMBER_FIELDS) {
    const value = String(v[name] ?? "").trim();
    if (name === "import_reports") out[name] = value !== "false";
    else if (value) out[name] = name === "update_cycle_months" && /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

export async function memberForm({ params }) {
  const editing = Boolean(params.code);
  const m = editing ? await call("catalogue", `/v1/members/${encodeURIComponent(params.code)}`) : {};
  const title = editing ? m.name : t("member_register");
  return {
    title,
    body: html`<p><a href="${href("/centre/members")}">${t("back_to_members")}</a></p>
      <h1>${title}</h1>
      ${editing ? html`<p class="state-line">${stateTag(m.status, "member")} <code>${m.code}</code></p>` : ""}
      <div id="form-notice"></div>
      <form id="member-form" data-draft novalidate>
        ${memberFields(m, editing)}
        <button type="submit" class="button">${editing ? t("save") : t("member_register")}</button>
      </form>
      ${editing
        ? html`<section class="card" aria-labelledby="more-h"><h2 id="more-h">${t("member_more")}</h2>
            <p><a href="${href("/centre/keys", { member: m.code })}">${t("member_keys_link")}</a> · <a href="${href("/member", { member: m.code })}">${t("open_as_member")}</a></p>
            ${m.status === "active"
              ? html`<form id="suspend"><p>${t("suspend_text")}</p><button type="submit" class="button button-warn">${t("suspend")}</button></form>`
              : html`<form id="reactivate"><p>${t("suspended_text")}</p><button type="submit" class="button">${t("reactivate")}</button></form>`}
          </section>`
        : ""}`,
    mount(root, { refresh }) {
      const form = $("#member-form", root);
      if (restoreDraft(form)) $("#form-notice", root).innerHTML = notice("info", t("draft_restored")).text;
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const body = memberBody(values(form));
        const missing = ["code", "name"].filter((n) => !body[n]).map((n) => ({ field: n, message: t(`required_${n}`) }));
        if (missing.length) {
          showErrors(form, missing);
          return;
        }
        if (editing) body.status = m.status;
        busy(form, async () => {
          try {
            const saved = await call("catalogue", "/v1/members", { method: "POST", body });
            const code = saved.member?.code || body.code;
            go(href(`/centre/members/${encodeURIComponent(code)}`, { saved: 1 }));
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            showErrors(form, detailsToErrors(error.details, MEMBER_FIELDS, error.message));
          }
        });
      });
      const reactivate = $("#reactivate", root);
      reactivate?.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(reactivate, async () => {
          await call("catalogue", "/v1/members", { method: "POST", body: { ...memberBody(values(form)), status: "active" } });
          refresh();
        });
      });
      const suspend = $("#suspend", root);
      suspend?.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!window.confirm(t("suspend_confirm", { name: m.name }))) return;
        busy(suspend, async () => {
          await call("catalogue", `/v1/members/${encodeURIComponent(m.code)}`, { method: "DELETE" });
          refresh();
        });
      });
    },
  };
}

function keyRows(keys) {
  return keys.map((k) => [
    k.label || "—",
    t(`role_${k.role}`, {}, k.role),
    k.member ? html`<code>${k.member}</code>` : "—",
    html`<code>${k.key_id}</code>`,
    dateTime(k.created_at),
    dateTime(k.last_used_at) || "—",
    k.revoked_at
      ? html`<span class="tag tag-revoked">${t("revoked_at", { at: dateTime(k.revoked_at) })}</span>`
      : html`<form class="revoke inline-form" data-key="${k.key_id}" data-label="${k.label || k.key_id}"><button type="submit" class="button button-small button-warn">${t("revoke")}<span class="visually-hidden"> ${k.label || k.key_id}</span></button></form>`,
  ]);
}

export async function keys({ query }) {
  const member = query.get("member") || "";
  const [{ keys: list }, { members: all }] = await Promise.all([
    call("ingest", "/v1/keys", { query: { member } }),
    call("catalogue", "/v1/members"),
  ]);
  const memberOptions = [["", t("choose_member")], ...all.map((m) => [m.code, `${m.name} (${m.code})`])];
  return {
    title: t("keys_title"),
    body: html`<h1>${t("keys_title")}</h1>
      <p>${t("keys_intro")}</p>
      <section class="card" aria-labelledby="issue-h">
        <h2 id="issue-h">${t("key_issue")}</h2>
        <div id="new-key"></div>
        <form id="key-form" data-draft novalidate>
          ${field({ name: "label", label: t("key_label"), hint: t("hint_key_label"), required: true, autocomplete: "off" })}
          ${field({ name: "role", label: t("key_role"), hint: t("hint_key_role"), required: true, value: "member", options: [["member", t("role_member")], ["centre", t("role_centre")]] })}
          ${field({ name: "member", label: t("key_member"), hint: t("hint_key_member"), value: member, options: memberOptions })}
          <button type="submit" class="button">${t("key_issue")}</button>
        </form>
      </section>
      <form id="key-filter" class="filters">
        ${field({ name: "filter_member", label: t("keys_of_member"), value: member, options: [["", t("all")], ...memberOptions.slice(1)] })}
        <button type="submit" class="button button-secondary">${t("filter")}</button>
      </form>
      <div id="key-result"></div>
      <div id="key-list">${keyList(list)}</div>`,
    mount(root) {
      const reload = async () => {
        const fresh = await call("ingest", "/v1/keys", { query: { member } });
        $("#key-list", root).innerHTML = keyList(fresh.keys).text;
        bindRevoke(root, reload);
      };
      const form = $("#key-form", root);
      restoreDraft(form);
      const memberGroup = $("#g-member", root);
      const sync = () => {
        memberGroup.hidden = form.elements.role.value !== "member";
      };
      form.elements.role.addEventListener("change", sync);
      sync();
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const v = values(form);
        const body = { label: v.label.trim(), role: v.role, ...(v.role === "member" ? { member: v.member } : {}) };
        const missing = [];
        if (!body.label) missing.push({ field: "label", message: t("required_label") });
        if (v.role === "member" && !v.member) missing.push({ field: "member", message: t("required_member") });
        if (missing.length) {
          showErrors(form, missing);
          return;
        }
        busy(form, async () => {
          try {
            const issued = await call("ingest", "/v1/keys", { method: "POST", body });
            form.reset();
            sync();
            showNewKey(root, issued);
            await reload();
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            showErrors(form, detailsToErrors(error.details, ["label", "role", "member"], error.message));
          }
        });
      });
      $("#key-filter", root).addEventListener("submit", (event) => {
        event.preventDefault();
        go(href("/centre/keys", { member: $("#f-filter_member", root).value }));
      });
      bindRevoke(root, reload);
    },
  };
}

function keyList(list) {
  if (!list.length) return html`<p class="empty">${t("keys_none")}</p>`;
  const headers = [t("key_label"), t("key_role"), t("key_member"), t("key_id"), t("created_at"), t("last_used"), ""];
  return table(headers, keyRows(list), { caption: t("keys_title"), id: "keys" });
}

function bindRevoke(root, reload) {
  for (const revoke of $$("form.revoke", root)) {
    revoke.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!window.confirm(t("revoke_confirm", { label: revoke.dataset.label }))) return;
      busy(revoke, async () => {
        try {
          await call("ingest", `/v1/keys/${encodeURIComponent(revoke.dataset.key)}`, { method: "DELETE" });
          $("#key-result", root).innerHTML = notice("ok", t("key_revoked", { label: revoke.dataset.label })).text;
          await reload();
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          $("#key-result", root).innerHTML = notice("error", error.message).text;
        }
      });
    });
  }
}

/** The new key, shown this once, with a copy button. */
function showNewKey(root, issued) {
  const box = $("#new-key", root);
  box.innerHTML = html`<div class="notice notice-ok new-key" role="status" tabindex="-1">
      <h3>${t("key_issued", { label: issued.label })}</h3>
      <p>${t("key_once")}</p>
      <label for="issued-key">${t("the_key")}</label>
      <div class="copy-row"><input id="issued-key" readonly value="${issued.token}" spellcheck="false">
      <button type="button" class="button" id="copy-key">${t("copy")}</button></div>
      <p id="copy-done" class="muted" aria-live="polite"></p>
    </div>`.text;
  const input = $("#issued-key", box);
  $("#copy-key", box).addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      document.execCommand("copy");
    }
    $("#copy-done", box).textContent = t("copied");
  });
  $(".new-key", box).focus();
}

