// Sign-in: an access key in a password field is exchanged for a session token.
import { ApiError, call } from "../api.js";
import { $, html } from "../dom.js";
import { busy, detailsToErrors, field, showErrors } from "../forms.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import { home, keep, setWho } from "../session.js";

const REASONS = {
  expired: "reason_expired",
  revoked: "reason_revoked",
  suspended: "reason_suspended",
  "signed-out": "reason_signed_out",
};

function safeNext(next) {
  return next && next.startsWith("/console/") && !next.startsWith("/console/sign-in") ? next : null;
}

export async function signIn({ query }) {
  const reason = REASONS[query.get("reason")];
  return {
    title: t("sign_in_title"),
    body: html`<div class="narrow">
      <h1>${t("sign_in_title")}</h1>
      ${reason ? html`<div class="notice ${query.get("reason") === "signed-out" ? "" : "notice-warn"}" role="status"><p>${t(reason)}</p></div>` : ""}
      <p>${t("sign_in_intro")}</p>
      <form id="sign-in" novalidate>
        ${field({ name: "key", label: t("access_key"), hint: t("access_key_hint"), type: "password", required: true, autocomplete: "off" })}
        <button type="submit" class="button">${t("sign_in")}</button>
      </form>
    </div>`,
    mount(root) {
      const form = $("#sign-in", root);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const key = form.elements.key.value.trim();
        if (!key) {
          showErrors(form, [{ field: "key", message: t("access_key_missing") }]);
          return;
        }
        busy(form, async () => {
          try {
            const session = await call("ingest", "/v1/sessions", { method: "POST", body: { key }, auth: false });
            keep(session.token);
            const { token: _, ...caller } = session;
            setWho(caller);
            go(safeNext(query.get("next")) || home(), { replace: true });
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            const message = error.status === 401 ? t("access_key_wrong") : error.message;
            const errors = detailsToErrors(error.details, ["key"], message);
            if (errors.every((e) => !e.field) && (error.status === 401 || error.status === 403)) errors[0].field = "key";
            showErrors(form, errors);
          }
        });
      });
    },
  };
}
