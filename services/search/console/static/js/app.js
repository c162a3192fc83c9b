// The console's frame: header (language switch, who-am-I, sign-out), navigation, and the page.
import { ApiError, SessionEnded, call, endSession, loadConfig } from "./api.js";
import { $, html, render } from "./dom.js";
import { clearDrafts } from "./forms.js";
import { lang, setLang, t } from "./i18n.js";
import { BASE, go, href, match, startRouter } from "./router.js";
import { forget, home, setWho, token, who } from "./session.js";
import "./pages/index.js";

let generation = 0;
let navigated = false;

/** Member pages are the member's; the centre may open them for one member (?member=code). */
function allowed(found) {
  if (found.public || !found.role || who()?.role === found.role) return true;
  const acting = new URLSearchParams(window.location.search).get("member");
  return Boolean(found.acting && who()?.role === "centre" && acting);
}

function navLinks(caller) {
  const links =
    caller?.role === "centre"
      ? [
          ["/centre", "nav_freshness"],
          ["/centre/members", "nav_members"],
          ["/centre/keys", "nav_keys"],
          ["/centre/reminders", "nav_reminders"],
          ["/centre/stats", "nav_stats"],
          ["/centre/analytics", "nav_analytics"],
          ["/centre/harvest", "nav_harvest"],
          ["/centre/duplicates", "nav_duplicates"],
          ["/centre/queues", "nav_queues"],
          ["/centre/audit", "nav_audit"],
        ]
      : [
          ["/member", "nav_overview"],
          ["/member/import", "nav_import"],
          ["/member/records", "nav_records"],
          ["/member/submissions", "nav_submissions"],
          ["/member/quality", "nav_quality"],
          ["/member/harvest", "nav_member_harvest"],
        ];
  const path = window.location.pathname.replace(/\/$/, "");
  return links.map(([to, key]) => {
    const target = `${BASE}${to}`;
    const current = path === target || (to.split("/").length > 2 && path.startsWith(`${target}/`));
    return html`<li><a href="${target}"${current ? html` aria-current="page"` : ""}>${t(key)}</a></li>`;
  });
}

/** The centre opening a member's pages sees for whom it acts, and the way back. */
function actingBanner(caller) {
  const acting = new URLSearchParams(window.location.search).get("member");
  if (caller.role !== "centre" || !acting || !window.location.pathname.startsWith(`${BASE}/member`)) return "";
  return html`<div class="acting"><p class="wrap">${t("acting_for", { member: acting })}
    <a href="${href(`/centre/members/${encodeURIComponent(acting)}`)}">${t("acting_back")}</a></p></div>`;
}

function frame() {
  const caller = who();
  const signedIn = Boolean(caller && token());
  const other = lang() === "vi" ? "en" : "vi";
  render(
    $("#frame"),
    html`<a class="skip" href="#main">${t("skip")}</a>
    <header class="site">
      <div class="wrap bar">
        <a class="brand" href="${signedIn ? home() : href("/sign-in")}">
          <span class="brand-title">${t("app_title")}</span>
          <span class="brand-sub">${t("network")}</span>
        </a>
        <button type="button" class="lang" id="lang-switch" lang="${other}" aria-label="${t("switch_lang_label")}">${t("switch_lang")}</button>
      </div>
      ${signedIn
        ? html`<div class="whoami"><div class="wrap whoami-bar">
            <p class="whoami-who"><span class="visually-hidden">${t("signed_in_as")} </span>
              <strong>${caller.label}</strong>
              <span class="role role-${caller.role}">${t(`role_${caller.role}`)}</span>
              ${caller.member ? html`<span class="whoami-member">${caller.member_name || caller.member}</span>` : ""}
            </p>
            <button type="button" class="link-button" id="sign-out">${t("sign_out")}</button>
          </div></div>
          <nav class="menu" aria-label="${t("nav_label")}"><ul class="wrap">${navLinks(caller)}</ul></nav>
          ${actingBanner(caller)}`
        : ""}
    </header>
    <main id="main" class="wrap" tabindex="-1"></main>
    <p id="live" class="visually-hidden" role="status" aria-live="polite"></p>
    <footer class="site"><div class="wrap"><p>${t("footer")} · <a href="/">${t("portal")}</a> · <a href="/huong-dan/">${t("guides")}</a></p></div></footer>`,
  );
  $("#lang-switch").addEventListener("click", () => {
    setLang(other);
    show({ keepFocus: "#lang-switch" });
  });
  $("#sign-out")?.addEventListener("click", () => {
    clearDrafts();
    forget();
    go(href("/sign-in", { reason: "signed-out" }));
  });
}

async function ensureWho() {
  if (who()) return who();
  const caller = await call("ingest", "/v1/sessions/current");
  setWho(caller);
  return caller;
}

function problem(error) {
  const text = error instanceof ApiError ? error.message : t("unexpected");
  return {
    title: t("problem_title"),
    body: html`<h1>${t("problem_title")}</h1><div class="notice notice-error" role="alert"><p>${text}</p></div>`,
  };
}

function simplePage(titleKey, textKey) {
  return { title: t(titleKey), body: html`<h1>${t(titleKey)}</h1><p>${t(textKey)}</p>` };
}

/** The page for this URL, or null when the person was sent elsewhere (sign-in, home). */
async function loadPage(found) {
  if (!found) return simplePage("not_found_title", "not_found");
  if (found.path === "/") {
    go(token() ? home() : href("/sign-in"), { replace: true });
    return null;
  }
  if (!allowed(found)) return simplePage("forbidden_title", "forbidden");
  return found.page({ params: found.params, query: new URLSearchParams(window.location.search) });
}

/** Who is signed in (once per session); false when the session ended or the URL is public. */
async function identify(found) {
  if (!found || found.public) return true;
  if (!token()) {
    go(href("/sign-in", { next: window.location.pathname + window.location.search }), { replace: true });
    return false;
  }
  await ensureWho();
  return true;
}

/** After a navigation the page's heading takes the focus (screen readers start there). */
function placeFocus(main, keepFocus) {
  if (keepFocus) {
    $(keepFocus)?.focus();
  } else if (navigated && !main.contains(document.activeElement)) {
    const heading = $("h1", main);
    heading?.setAttribute("tabindex", "-1");
    heading?.focus();
  }
  navigated = true;
}

async function show({ keepFocus } = {}) {
  const mine = ++generation;
  document.documentElement.lang = lang();
  const found = match(window.location.pathname);
  let page;
  try {
    if (!(await identify(found)) || mine !== generation) return;
    frame();
    const main = $("#main");
    main.setAttribute("aria-busy", "true");
    render(main, html`<p class="loading">${t("loading")}</p>`);
    page = await loadPage(found);
  } catch (error) {
    if (error instanceof SessionEnded) return;
    console.error(error);
    frame();
    page = problem(error);
  }
  if (!page || mine !== generation) return;
  const main = $("#main");
  main.removeAttribute("aria-busy");
  render(main, page.body);
  document.title = `${page.title} — ${t("app_title")}`;
  // Some pages keep working after they are shown (a submission being stored): not awaited.
  const mounted = page.mount?.(main, { refresh: () => show() });
  placeFocus(main, keepFocus);
  Promise.resolve(mounted).catch((error) => {
    if (!(error instanceof SessionEnded)) console.error(error);
  });
}

async function boot() {
  // A 401 ends the session and moves to sign-in; the call that got it has nothing left to do.
  window.addEventListener("unhandledrejection", (event) => {
    if (event.reason instanceof SessionEnded) event.preventDefault();
  });
  await loadConfig();
  startRouter(() => show());
}

export { show };

boot();
