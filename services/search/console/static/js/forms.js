// Forms in the GOV.UK pattern: label and hint on every input, an error summary at the top that
// links to each field, the message beside the field. Drafts survive a sign-in in between.
import { $, $$, html } from "./dom.js";
import { t } from "./i18n.js";
import { who } from "./session.js";

const DRAFT = "stinet.draft:";

/** One input with its label, hint and (empty) error slot. */
export function field({
  name,
  label,
  hint,
  type = "text",
  value = "",
  required = false,
  options,
  rows,
  autocomplete,
  inputmode,
  accept,
  width,
}) {
  const id = `f-${name}`;
  const described = [hint ? `h-${name}` : "", `e-${name}`].filter(Boolean).join(" ");
  const common = html`id="${id}" name="${name}" aria-describedby="${described}"${
    required ? html` required aria-required="true"` : ""
  }`;
  let control;
  if (options) {
    control = html`<select ${common}>${options.map(
      ([v, text]) => html`<option value="${v}"${String(v) === String(value ?? "") ? html` selected` : ""}>${text}</option>`,
    )}</select>`;
  } else if (rows) {
    control = html`<textarea ${common} rows="${rows}">${value ?? ""}</textarea>`;
  } else {
    control = html`<input ${common} type="${type}"${
      type === "file" ? "" : html` value="${value ?? ""}"`
    }${autocomplete ? html` autocomplete="${autocomplete}"` : ""}${
      inputmode ? html` inputmode="${inputmode}"` : ""
    }${accept ? html` accept="${accept}"` : ""}${width ? html` class="w-${width}"` : ""}>`;
  }
  return html`<div class="field" id="g-${name}">
    <label for="${id}">${label}${required ? "" : html` <span class="optional">${t("optional")}</span>`}</label>
    ${hint ? html`<div class="hint" id="h-${name}">${hint}</div>` : ""}
    <p class="field-error" id="e-${name}" hidden></p>
    ${control}
  </div>`;
}

/** The form's values as a plain object (text inputs, selects, textareas, checkboxes). */
export function values(form) {
  const out = {};
  for (const el of $$("input, select, textarea", form)) {
    if (!el.name || el.type === "file" || el.type === "password" || el.type === "submit") continue;
    out[el.name] = el.type === "checkbox" ? el.checked : el.value;
  }
  return out;
}

export function clearErrors(form) {
  $(".error-summary", form.closest("main") || form.parentElement)?.remove();
  for (const group of $$(".field.has-error", form)) group.classList.remove("has-error");
  for (const message of $$(".field-error", form)) {
    message.hidden = true;
    message.textContent = "";
  }
  for (const el of $$("[aria-invalid]", form)) el.removeAttribute("aria-invalid");
}

/**
 * Show errors: a summary above the form (focused, each item a link to its field) and each
 * message beside its field. ``errors`` is [{field, message}] (field null: about the whole form).
 */
export function showErrors(form, errors) {
  clearErrors(form);
  const items = errors.map(({ field: name, message, api }) => {
    const input = name && form.elements.namedItem(name);
    if (!input) return html`<li>${message}</li>`;
    const group = form.querySelector(`#g-${CSS.escape(name)}`);
    const slot = form.querySelector(`#e-${CSS.escape(name)}`);
    group?.classList.add("has-error");
    if (slot) {
      slot.hidden = false;
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    }
    (input.setAttribute ? input : input[0]).setAttribute("aria-invalid", "true");
    // The summary names the field: the API's words may not (pydantic's are English only).
    const label = form.querySelector(`label[for="f-${CSS.escape(name)}"]`)?.childNodes[0]?.textContent.trim();
    const text = api && label && !message.startsWith(label) ? `${label}: ${message}` : message;
    return html`<li><a href="#f-${name}" data-focus="f-${name}">${text}</a></li>`;
  });
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.setAttribute("role", "alert");
  summary.setAttribute("tabindex", "-1");
  summary.setAttribute("aria-labelledby", "error-summary-title");
  summary.innerHTML = html`<h2 id="error-summary-title">${t("error_summary")}</h2><ul>${items}</ul>`.text;
  // At the top of the page, above the heading (GOV.UK): the first thing read after the focus moves.
  const heading = $("h1", form.closest("main") || document);
  if (heading) heading.parentElement.insertBefore(summary, heading);
  else form.parentElement.insertBefore(summary, form);
  for (const link of $$("a[data-focus]", summary)) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const target = document.getElementById(link.dataset.focus);
      target?.focus();
      target?.scrollIntoView({ block: "center" });
    });
  }
  summary.focus();
}

/**
 * The API's field-level details mapped onto the form's fields: the last element of ``loc``
 * that names one of them wins (``["body", "records", 0, "title"]`` → title,
 * ``["identifiers", "isbn"]`` → isbn); the rest are about the whole form.
 */
export function detailsToErrors(details, fieldNames, fallback) {
  const list = Array.isArray(details) ? details : [];
  const errors = list.map((detail) => {
    const loc = Array.isArray(detail.loc) ? detail.loc : [];
    const name = [...loc].reverse().find((part) => fieldNames.includes(String(part)));
    return { field: name ? String(name) : null, message: detail.msg || String(detail), api: true };
  });
  if (!errors.length && fallback) errors.push({ field: null, message: fallback });
  return errors;
}

function draftKey(form) {
  return `${DRAFT}${window.location.pathname}#${form.id}`;
}

// A draft is given back only to staff of the same member (or the centre) who typed it.
function owner() {
  const caller = who();
  return caller ? `${caller.role}:${caller.member || ""}` : null;
}

/** Keep what the person typed in every draft-able form on the page (before a sign-in). */
export function saveDrafts() {
  for (const form of $$("form[data-draft]")) {
    const draft = { owner: owner(), values: values(form) };
    window.sessionStorage.setItem(draftKey(form), JSON.stringify(draft));
  }
}

/** Forget every draft (signing out on a shared computer). */
export function clearDrafts() {
  for (const key of Object.keys(window.sessionStorage)) {
    if (key.startsWith(DRAFT)) window.sessionStorage.removeItem(key);
  }
}

/** Put a saved draft back into its form (once); true when there was one. */
export function restoreDraft(form) {
  const key = draftKey(form);
  const saved = window.sessionStorage.getItem(key);
  if (!saved) return false;
  window.sessionStorage.removeItem(key);
  const draft = JSON.parse(saved);
  if (!draft.owner || draft.owner !== owner()) return false;
  for (const [name, value] of Object.entries(draft.values)) {
    const el = form.elements.namedItem(name);
    if (!el || el.type === "file") continue;
    if (el.type === "checkbox") el.checked = Boolean(value);
    else el.value = value;
  }
  return true;
}

/** Disable the submit button while a call runs (no double submissions). */
export async function busy(form, work) {
  const buttons = $$("button", form);
  for (const b of buttons) b.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    for (const b of buttons) b.disabled = false;
    form.removeAttribute("aria-busy");
  }
}
