// The session: only the token lives in the browser (sessionStorage); who it is comes from the API.
import { href } from "./router.js";

const TOKEN = "stinet.token";

let current = null;

export function token() {
  return window.sessionStorage.getItem(TOKEN);
}

export function keep(newToken) {
  window.sessionStorage.setItem(TOKEN, newToken);
}

export function forget() {
  window.sessionStorage.removeItem(TOKEN);
  current = null;
}

export function who() {
  return current;
}

export function setWho(caller) {
  current = caller;
}

export function isCentre() {
  return current?.role === "centre";
}

/** The member the person acts for: its own, or (centre) the one chosen with ?member=. */
export function actingMember(query) {
  if (current?.role === "member") return current.member;
  return query?.get("member") || null;
}

/** ``{member}`` for the API when the centre acts for one; nothing for member staff (their key says). */
export function actingQuery(query) {
  const code = current?.role === "centre" ? query?.get("member") : null;
  return code ? { member: code } : {};
}

/** Where a person lands after signing in. */
export function home() {
  return current?.role === "centre" ? href("/centre") : href("/member");
}
