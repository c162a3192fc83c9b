"""Defects the contract check found, each pinned by a test that failed before its fix."""

from __future__ import annotations

import pytest

from shared.netguard import RefusedUrl, check_url


@pytest.mark.parametrize("host", ["0" * 64 + ".example", "bad\x9chost.example"])
async def test_a_host_name_no_resolver_can_encode_is_refused_not_a_500(host: str) -> None:
    with pytest.raises(RefusedUrl, match="does not resolve"):
        await check_url(f"https://{host}/oai", allow_private=False)
