// Safe HTML building: every interpolated value is escaped unless it is itself built by html``.
class Raw {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function part(value) {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return value.map(part).join("");
  return escape(value);
}

export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    out += part(value) + strings[i + 1];
  });
  return new Raw(out);
}

export function render(element, content) {
  element.innerHTML = part(content);
}

/** A link's target only when it is http(s): never javascript: from stored data. */
export function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

export function on(root, selector, event, handler) {
  for (const el of $$(selector, root)) el.addEventListener(event, handler);
}

/** Announce a short message to screen readers and show it in the status line. */
export function announce(text) {
  const live = document.getElementById("live");
  if (live) {
    live.textContent = "";
    window.setTimeout(() => {
      live.textContent = text;
    }, 50);
  }
}
