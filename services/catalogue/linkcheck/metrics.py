"""The link checker's Prometheus metrics (the process's global registry, /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CHECKS = Counter(
    "stinet_linkcheck_checks_total", "Links checked, by result (ok, failed, deferred)", ["result"]
)
BROKEN = Gauge("stinet_linkcheck_broken", "Links broken now (two failed checks in a row or more)")
BACK_OFFS = Counter(
    "stinet_linkcheck_back_offs_total",
    "Times a host asked the link checker to back off (429/503 with Retry-After)",
    ["host"],
)
