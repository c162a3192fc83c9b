// Every page of the console and its URL (relative to /console).
import { route } from "../router.js";
import { analytics } from "./analytics.js";
import { audit, duplicates, harvestSource, harvestSources, queues } from "./ops.js";
import { board, reminders } from "./freshness.js";
import { keys, memberForm, members } from "./centre.js";
import { harvest, overview, quality, submissions } from "./member.js";
import { importPage, submissionPage } from "./imports.js";
import { recordForm, recordList, recordPage } from "./records.js";
import { signIn } from "./signin.js";
import { stats } from "./stats.js";

route("/", null);
route("/sign-in", signIn, { public: true });

route("/member", overview, { role: "member", acting: true });
route("/member/import", importPage, { role: "member", acting: true });
route("/member/records", recordList, { role: "member", acting: true });
route("/member/records/new", recordForm, { role: "member", acting: true });
route("/member/records/:id/edit", recordForm, { role: "member", acting: true });
route("/member/records/:id", recordPage, { role: "member", acting: true });
route("/member/submissions", submissions, { role: "member", acting: true });
route("/member/submissions/:id", submissionPage, { role: "member", acting: true });
route("/member/harvest", harvest, { role: "member", acting: true });
route("/member/quality", quality, { role: "member", acting: true });

route("/centre", board, { role: "centre" });
route("/centre/members", members, { role: "centre" });
route("/centre/members/new", memberForm, { role: "centre" });
route("/centre/members/:code", memberForm, { role: "centre" });
route("/centre/keys", keys, { role: "centre" });
route("/centre/reminders", reminders, { role: "centre" });
route("/centre/stats", stats, { role: "centre" });
route("/centre/analytics", analytics, { role: "centre" });
route("/centre/harvest", harvestSources, { role: "centre" });
route("/centre/harvest/:id", harvestSource, { role: "centre" });
route("/centre/duplicates", duplicates, { role: "centre" });
route("/centre/queues", queues, { role: "centre" });
route("/centre/audit", audit, { role: "centre" });
