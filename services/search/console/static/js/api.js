// Calls to the four public APIs. A 401 from any call ends the session, and so does a 403
// member_suspended (the member was suspended while its staff worked): the forms on the page
// are saved as drafts, and the person signs in again and comes back to them.
import { lang, t } from "./i18n.js";
import { saveDrafts } from "./forms.js";
import { forget, token } from "./session.js";
import { go, here, href } from "./router.js";

let config = null;

export async function loadConfig() {
  const response = await fetch("/console/config.json", { cache: "no-cache" });
  config = await response.json();
  return config;
}

export function apiBase(service) {
  return config[service];
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error || {};
    super(error.message || (status ? `HTTP ${status}` : t("network_down")));
    this.status = status;
    this.code = error.code || null;
    this.details = error.details ?? null;
    this.body = body;
  }
}

/** Thrown after an answer ended the session: pages stop, the sign-in page takes over. */
export class SessionEnded extends Error {}

const REASONS = { session_revoked: "revoked", member_suspended: "suspended" };

/** Does this answer end the session? */
function ends(status, code) {
  return status === 401 || (status === 403 && code === "member_suspended");
}

export function endSession(code) {
  saveDrafts();
  forget();
  const reason = REASONS[code] || "expired";
  const next = here();
  go(href("/sign-in", { reason, next: next.startsWith("/console/sign-in") ? undefined : next }), {
    replace: true,
  });
}

function url(service, path, query) {
  const target = new URL(apiBase(service) + path);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(name, value);
  }
  return target.href;
}

function headers(extra, withToken) {
  const out = { Accept: "application/json", "Accept-Language": lang(), ...extra };
  const current = token();
  if (withToken && current) out.Authorization = `Bearer ${current}`;
  return out;
}

async function parse(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 300) } };
  }
}

/** One JSON call; resolves to the body, rejects with ApiError (or SessionEnded when the
 * answer ended the session). */
export async function call(service, path, { method = "GET", body, query, auth = true } = {}) {
  const init = { method, headers: headers({}, auth), cache: "no-store" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url(service, path, query), init);
  } catch {
    throw new ApiError(0, null);
  }
  const parsed = await parse(response);
  if (ends(response.status, parsed?.error?.code) && auth && token()) {
    endSession(parsed?.error?.code);
    throw new SessionEnded();
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/** A file upload with progress (XMLHttpRequest: fetch reports no upload progress). */
export function upload(service, path, form, { query, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url(service, path, query));
    for (const [name, value] of Object.entries(headers({}, true))) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, null)));
    xhr.addEventListener("load", () => {
      let parsed = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        parsed = { error: { message: xhr.responseText.slice(0, 300) } };
      }
      if (ends(xhr.status, parsed?.error?.code) && token()) {
        endSession(parsed?.error?.code);
        reject(new SessionEnded());
      } else if (xhr.status >= 200 && xhr.status < 300) resolve(parsed);
      else reject(new ApiError(xhr.status, parsed));
    });
    xhr.send(form);
  });
}
