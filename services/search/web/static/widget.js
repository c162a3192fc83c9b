/* stinet search widget: <script src="https://…/widget.js" data-member="vmu" data-lang="vi" async></script>
   Renders a search box and results where the tag stands (or into data-target). No framework,
   no cookies, text inserted with textContent only; styles scoped under .stinet-w and inherit
   the host page's font and colours. */
(function () {
  "use strict";
  var STRINGS = /*STRINGS*/{};
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src*='widget.js']");
    script = all[all.length - 1];
  }
  if (!script || script.getAttribute("data-stinet-done")) return;
  script.setAttribute("data-stinet-done", "1");

  var base = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var member = (script.getAttribute("data-member") || "").trim();
  var lang = script.getAttribute("data-lang") === "en" ? "en" : "vi";
  var perPage = Math.max(1, Math.min(parseInt(script.getAttribute("data-per-page") || "5", 10) || 5, 20));
  var s = STRINGS[lang];
  var uid = "stinet-w-" + Math.random().toString(36).slice(2, 8);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = text;
    return node;
  }

  if (!document.getElementById("stinet-w-style")) {
    var style = el("style", { id: "stinet-w-style" });
    style.textContent = [
      ".stinet-w{font:inherit;color:inherit;max-width:100%;margin:.5em 0}",
      ".stinet-w *{box-sizing:border-box;font:inherit}",
      ".stinet-w-label{display:block;font-weight:600;margin:0 0 .3em}",
      ".stinet-w-row{display:flex;gap:.4em}",
      ".stinet-w-input{flex:1;min-width:0;padding:.45em .6em;border:1px solid #767676;border-radius:4px;background:#fff;color:#111}",
      ".stinet-w-button{padding:.45em .9em;border:1px solid currentColor;border-radius:4px;background:transparent;color:inherit;cursor:pointer;font-weight:600}",
      ".stinet-w-input:focus-visible,.stinet-w-button:focus-visible,.stinet-w a:focus-visible{outline:2px solid #c2410c;outline-offset:2px}",
      ".stinet-w-status{margin:.5em 0 .3em;font-size:.9em;opacity:.85}",
      ".stinet-w-hits{list-style:none;margin:0;padding:0}",
      ".stinet-w-hit{padding:.45em 0;border-bottom:1px solid rgba(127,127,127,.3)}",
      ".stinet-w-title{font-weight:600}",
      ".stinet-w-meta{font-size:.85em;opacity:.85}",
      ".stinet-w mark{background:#fde68a;color:#111;padding:0 .05em}",
      ".stinet-w-more{display:inline-block;margin-top:.4em;font-size:.9em}",
      ".stinet-w [hidden]{display:none!important}"
    ].join("\n");
    (document.head || document.documentElement).appendChild(style);
  }

  var root = el("div", { "class": "stinet-w", lang: lang });
  var form = el("form", { role: "search", "class": "stinet-w-form", action: base + "/", method: "get" });
  var label = el("label", { "for": uid, "class": "stinet-w-label" }, s.search_label);
  var row = el("div", { "class": "stinet-w-row" });
  var input = el("input", {
    id: uid, type: "search", name: "q", "class": "stinet-w-input", autocomplete: "off",
    maxlength: "500", placeholder: s.search_placeholder, list: uid + "-list"
  });
  var datalist = el("datalist", { id: uid + "-list" });
  var button = el("button", { type: "submit", "class": "stinet-w-button" }, s.search_button);
  var status = el("p", { "class": "stinet-w-status", "aria-live": "polite", role: "status" });
  var hits = el("ol", { "class": "stinet-w-hits" });
  var more = el("a", { "class": "stinet-w-more", target: "_blank", rel: "noopener" }, s.open_portal);
  more.hidden = true;
  if (member) form.appendChild(el("input", { type: "hidden", name: "member", value: member }));
  if (lang === "en") form.appendChild(el("input", { type: "hidden", name: "lang", value: "en" }));
  row.appendChild(input); row.appendChild(datalist); row.appendChild(button);
  form.appendChild(label); form.appendChild(row);
  root.appendChild(form); root.appendChild(status); root.appendChild(hits); root.appendChild(more);

  var target = script.getAttribute("data-target") && document.getElementById(script.getAttribute("data-target"));
  if (target) target.appendChild(root);
  else script.parentNode.insertBefore(root, script.nextSibling);

  function params(q, extra) {
    var p = "q=" + encodeURIComponent(q);
    if (member) p += "&member=" + encodeURIComponent(member);
    return p + (extra || "");
  }

  function decode(text) {
    return text.replace(/&(lt|gt|quot|#39|#x27|amp);/g, function (_, name) {
      return { lt: "<", gt: ">", quot: "\"", "#39": "'", "#x27": "'", amp: "&" }[name];
    });
  }

  // Engine highlights are escaped text with matched words in <mark>: rebuilt as DOM nodes.
  function marked(parent, highlight, fallback) {
    if (!highlight) { parent.textContent = fallback; return; }
    var parts = highlight.split(/(<\/?mark>)/), open = false;
    for (var i = 0; i < parts.length; i++) {
      if (parts[i] === "<mark>") { open = true; continue; }
      if (parts[i] === "</mark>") { open = false; continue; }
      if (!parts[i]) continue;
      var text = document.createTextNode(decode(parts[i]));
      if (open) { var m = el("mark"); m.appendChild(text); parent.appendChild(m); }
      else parent.appendChild(text);
    }
  }

  function recordQuery(searchId) {
    var parts = [];
    if (lang === "en") parts.push("lang=en");
    if (searchId) parts.push("from=" + encodeURIComponent(searchId));
    return parts.length ? "?" + parts.join("&") : "";
  }

  function render(q, data) {
    while (hits.firstChild) hits.removeChild(hits.firstChild);
    var total = data.total || 0;
    var shown = total.toLocaleString(lang === "en" ? "en" : "vi");
    if (data.estimated) shown = s.about.replace("{n}", shown);  // a sample's estimate
    status.textContent = total ? s.results_count.replace("{total}", shown) : s.no_results;
    (data.hits || []).forEach(function (hit) {
      var li = el("li", { "class": "stinet-w-hit" });
      var a = el("a", { "class": "stinet-w-title", href: base + "/records/" + encodeURIComponent(hit.id).replace(/%3A/g, ":") + recordQuery(data.search_id), target: "_blank", rel: "noopener" });
      marked(a, hit.highlight && hit.highlight.title, hit.title);
      var names = (data.member_names || {})[hit.member] || {};
      var memberName = (lang === "en" ? names.name_en : names.name) || names.name || hit.member;
      var meta = [s["kind_" + hit.kind] || hit.kind, memberName];
      if (hit.year) meta.push(String(hit.year));
      li.appendChild(a);
      li.appendChild(el("div", { "class": "stinet-w-meta" }, meta.join(" · ")));
      hits.appendChild(li);
    });
    more.href = base + "/?" + params(q, lang === "en" ? "&lang=en" : "");
    more.hidden = total <= (data.hits || []).length;
  }

  var seq = 0, timer = null, lastQuery = null, suggestTimer = null;
  function search(q) {
    q = q.trim();
    if (!q || q === lastQuery) return;
    lastQuery = q;
    var mine = ++seq;
    fetch(base + "/v1/search?" + params(q, "&per_page=" + perPage), { credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) { if (mine === seq) render(q, data); })
      .catch(function () { if (mine === seq) { status.textContent = s.no_results; lastQuery = null; } });
    fetch(base + "/v1/stats/visits/ping?source=widget", { credentials: "omit" }).catch(function () {});
  }

  function suggest(q) {
    if (q.trim().length < 2) return;
    fetch(base + "/v1/suggest?q=" + encodeURIComponent(q), { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) {
        while (datalist.firstChild) datalist.removeChild(datalist.firstChild);
        (data.suggestions || []).slice(0, 8).forEach(function (x) {
          datalist.appendChild(el("option", { value: typeof x === "string" ? x : (x.text || x.title || "") }));
        });
      })
      .catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    lastQuery = null;
    search(input.value);
  });
  input.addEventListener("input", function () {
    clearTimeout(timer); clearTimeout(suggestTimer);
    var q = input.value;
    suggestTimer = setTimeout(function () { suggest(q); }, 120);
    if (q.trim().length >= 2) timer = setTimeout(function () { search(q); }, 350);
  });
})();
