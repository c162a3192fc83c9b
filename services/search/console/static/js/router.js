// History API routing: every page has a URL, the back button works, links stay real links.
export const BASE = "/console";

const routes = [];
let renderCurrent = () => {};

/** Register a page: pattern like "/member/records/:id" (relative to /console). */
export function route(pattern, page, options = {}) {
  const names = [];
  const source = pattern
    .split("/")
    .map((segment) => {
      if (segment.startsWith(":")) {
        names.push(segment.slice(1));
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  routes.push({ path: pattern, regex: new RegExp(`^${source}/?$`), names, page, ...options });
}

export function match(pathname) {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) || "/" : pathname;
  for (const entry of routes) {
    const found = entry.regex.exec(path);
    if (found) {
      const params = {};
      entry.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1]);
      });
      return { ...entry, params };
    }
  }
  return null;
}

/** A console URL; member pages keep the member a centre person is acting for (?member=). */
export function href(path, query = {}) {
  const acting = actingFor();
  const full = path.startsWith("/member") && acting && !("member" in query) ? { ...query, member: acting } : query;
  const search = new URLSearchParams(clean(full)).toString();
  return `${BASE}${path}${search ? `?${search}` : ""}`;
}

function actingFor() {
  if (!window.location.pathname.startsWith(`${BASE}/member`)) return null;
  return new URLSearchParams(window.location.search).get("member");
}

function clean(query) {
  return Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  );
}

export function go(url, { replace = false } = {}) {
  if (replace) window.history.replaceState({}, "", url);
  else window.history.pushState({}, "", url);
  renderCurrent();
}

export function here() {
  return window.location.pathname + window.location.search;
}

export function startRouter(render) {
  renderCurrent = render;
  window.addEventListener("popstate", () => render());
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || !url.pathname.startsWith(`${BASE}/`)) return;
    if (url.pathname.startsWith(`${BASE}/static/`)) return;
    if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return;
    event.preventDefault();
    go(url.pathname + url.search);
  });
  render();
}
