"""People's keys and sessions over HTTP (docs/operators/README.md §11): issue, list, revoke, sign
in, refuse."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt

from shared.auth import Caller, SessionSigner, session_signer
from shared.records import utcnow
from tests.ingest.conftest import Ingest, record


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def issue(ingest: Ingest, **body: Any) -> dict[str, Any]:
    response = await ingest.client.post("/v1/keys", json=body, headers=ingest.admin)
    assert response.status_code == 201, response.text
    return response.json()


async def sign_in(ingest: Ingest, key: str) -> dict[str, Any]:
    response = await ingest.client.post("/v1/sessions", json={"key": key})
    assert response.status_code == 201, response.text
    return response.json()


async def member_session(ingest: Ingest, code: str = "vmu") -> dict[str, Any]:
    await ingest.register(code)
    key = await issue(ingest, label="Nguyễn Văn A — thư viện", role="member", member=code)
    return await sign_in(ingest, key["token"])


async def current(ingest: Ingest, token: str) -> Any:
    return await ingest.client.get("/v1/sessions/current", headers=bearer(token))


def assert_refused(response: Any, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_member_key_names_its_holder_and_signs_in_to_a_session(ingest: Ingest) -> None:
    await ingest.register("vmu")
    key = await issue(ingest, label="Nguyễn Văn A — thư viện", role="member", member="vmu")
    assert key["token"].startswith("stk_")
    assert {k: key[k] for k in ("label", "role", "member")} == {
        "label": "Nguyễn Văn A — thư viện",
        "role": "member",
        "member": "vmu",
    }

    session = await sign_in(ingest, key["token"])
    assert session["key_id"] == key["key_id"]
    assert (session["role"], session["member"]) == ("member", "vmu")
    assert session["member_name"] == "Thành viên vmu"

    me = await current(ingest, session["token"])
    assert me.status_code == 200, me.text
    assert "token" not in me.json()
    assert me.json()["expires_at"] == session["expires_at"]
    assert me.json()["label"] == "Nguyễn Văn A — thư viện"


async def test_the_root_key_issues_centre_keys_whose_sessions_run_the_centre_routes(
    ingest: Ingest,
) -> None:
    centre = await issue(ingest, label="Trần Thị B — Trung tâm", role="centre")
    assert centre["member"] is None
    session = await sign_in(ingest, centre["token"])
    assert (session["role"], session["member"], session["member_name"]) == ("centre", None, None)

    await ingest.register("hpu")
    by_session = await ingest.client.post(
        "/v1/keys",
        json={"label": "Lê C", "role": "member", "member": "hpu"},
        headers=bearer(session["token"]),
    )
    assert by_session.status_code == 201, by_session.text
    listing = await ingest.client.get("/v1/keys", headers=bearer(session["token"]))
    assert {k["label"] for k in listing.json()["keys"]} == {"Trần Thị B — Trung tâm", "Lê C"}


async def test_a_key_body_says_which_field_is_wrong(ingest: Ingest) -> None:
    cases = [
        ({"label": "A", "role": "member"}, ["body", "member"]),
        ({"label": "A", "role": "centre", "member": "vmu"}, ["body", "member"]),
        ({"label": "  ", "role": "centre"}, ["body", "label"]),
        ({"label": "A", "role": "admin"}, ["body", "role"]),
    ]
    for body, loc in cases:
        response = await ingest.client.post("/v1/keys", json=body, headers=ingest.admin)
        assert response.status_code == 422, (body, response.text)
        assert [e["loc"] for e in response.json()["error"]["details"]] == [loc], body


async def test_key_routes_refuse_members_with_403_and_strangers_with_401(ingest: Ingest) -> None:
    session = await member_session(ingest)
    as_member = bearer(session["token"])
    centre_only = [
        ("POST", "/v1/keys", {"label": "X", "role": "centre"}),
        ("DELETE", "/v1/keys/0123456789abcdef", None),
        ("POST", "/v1/members/vmu/keys", None),
        ("GET", "/v1/members/vmu/keys", None),
    ]
    for method, path, body in centre_only:
        member = await ingest.client.request(method, path, json=body, headers=as_member)
        assert member.status_code == 403, (path, member.text)
        assert member.json()["error"]["code"] == "forbidden"
        anonymous = await ingest.client.request(method, path, json=body)
        assert_refused(anonymous, "unauthenticated")


async def test_a_member_lists_only_its_own_members_keys(ingest: Ingest) -> None:
    session = await member_session(ingest, "vmu")
    await ingest.register("hpu")
    await issue(ingest, label="Người của hpu", role="member", member="hpu")

    own = await ingest.client.get("/v1/keys", headers=bearer(session["token"]))
    assert own.status_code == 200
    assert {k["member"] for k in own.json()["keys"]} == {"vmu"}
    assert own.json()["keys"][0]["last_used_at"] is not None  # the sign-in used it

    other = await ingest.client.get("/v1/keys?member=hpu", headers=bearer(session["token"]))
    assert other.status_code == 403
    everyone = await ingest.client.get("/v1/keys", headers=ingest.admin)
    assert {k["member"] for k in everyone.json()["keys"]} == {"vmu", "hpu"}


async def test_an_expired_session_is_refused_as_expired(ingest: Ingest) -> None:
    session = await member_session(ingest)
    caller = Caller(key_id=session["key_id"], label="A", role="member", member="vmu", via="key")
    signer = session_signer(ingest.settings)
    token, expires_at = signer.issue(caller, now=utcnow() - timedelta(hours=9))
    assert expires_at < utcnow()
    assert_refused(await current(ingest, token), "session_expired")


async def test_a_tampered_session_is_refused(ingest: Ingest) -> None:
    session = await member_session(ingest)
    header, payload, signature = session["token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(role="centre", member=None)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await current(ingest, f"{header}.{forged}.{signature}")
    assert_refused(response, "unauthenticated")
    assert response.json()["error"]["details"] == {"reason": "session_invalid"}


async def test_an_unsigned_alg_none_session_is_refused(ingest: Ingest) -> None:
    session = await member_session(ingest)
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    kid = jwt.get_unverified_header(session["token"])["kid"]
    claims.update(role="centre", member=None)
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    assert_refused(await current(ingest, unsigned), "unauthenticated")


async def test_a_session_signed_with_another_secret_is_refused(ingest: Ingest) -> None:
    session = await member_session(ingest)
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    kid = jwt.get_unverified_header(session["token"])["kid"]
    other = jwt.encode(claims, b"z" * 64, algorithm="HS256", headers={"kid": kid})
    assert_refused(await current(ingest, other), "unauthenticated")
    stranger = SessionSigner(b"y" * 64)  # a well-formed token of another installation
    caller = Caller(key_id=session["key_id"], label="A", role="centre", member=None, via="key")
    assert_refused(await current(ingest, stranger.issue(caller)[0]), "unauthenticated")


async def test_a_revoked_keys_session_and_key_are_refused(ingest: Ingest) -> None:
    await ingest.register("vmu")
    key = await issue(ingest, label="Nguyễn Văn A", role="member", member="vmu")
    session = await sign_in(ingest, key["token"])
    assert (await current(ingest, session["token"])).status_code == 200

    revoked = await ingest.client.delete(f"/v1/keys/{key['key_id']}", headers=ingest.admin)
    assert revoked.status_code == 204
    assert_refused(await current(ingest, session["token"]), "session_revoked")
    again = await ingest.client.post("/v1/sessions", json={"key": key["token"]})
    assert_refused(again, "unauthenticated")
    twice = await ingest.client.delete(f"/v1/keys/{key['key_id']}", headers=ingest.admin)
    assert twice.status_code == 404


async def test_a_revocation_seen_by_another_process_ends_the_session(
    ingest: Ingest, start_ingest: Any
) -> None:
    """A second replica learns the revocation from the store when it re-reads the list."""
    await ingest.register("vmu")
    key = await issue(ingest, label="Nguyễn Văn A", role="member", member="vmu")
    session = await sign_in(ingest, key["token"])
    replica = await start_ingest()
    authenticator = replica.app.state.authenticator
    assert (await current(replica, session["token"])).status_code == 200

    await ingest.client.delete(f"/v1/keys/{key['key_id']}", headers=ingest.admin)
    await authenticator.refresh()  # what the 30-second re-read does
    assert_refused(await current(replica, session["token"]), "session_revoked")


async def test_sign_in_refuses_bad_keys_and_suspended_members(ingest: Ingest) -> None:
    for key in ("stk_0123456789abcdef_nope", "nonsense"):
        assert_refused(
            await ingest.client.post("/v1/sessions", json={"key": key}), "unauthenticated"
        )
    missing = await ingest.client.post("/v1/sessions", json={})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["loc"] == ["body", "key"]

    await ingest.register("vmu")
    key = await issue(ingest, label="A", role="member", member="vmu")
    await ingest.register("vmu", change="suspended", version=2)
    suspended = await ingest.client.post("/v1/sessions", json={"key": key["token"]})
    assert suspended.status_code == 403


async def test_a_session_cannot_be_exchanged_for_a_fresh_one(ingest: Ingest) -> None:
    session = await member_session(ingest)
    renewed = await ingest.client.post("/v1/sessions", json={"key": session["token"]})
    assert renewed.status_code == 401


async def test_the_root_key_signs_in_as_the_centre(ingest: Ingest) -> None:
    session = await sign_in(ingest, ingest.settings.admin_key or "")
    assert (session["key_id"], session["role"]) == ("root", "centre")
    assert (await current(ingest, session["token"])).json()["label"] == (
        "Khoá quản trị gốc / root key"
    )


async def test_keys_stored_before_holders_read_back_as_unlabelled_member_keys(
    ingest: Ingest,
) -> None:
    await ingest.db["ingest_keys"].insert_one(
        {
            "_id": "0123456789abcdef",
            "member": "vmu",
            "secret_hash": "0" * 64,
            "created_at": utcnow(),
            "revoked_at": None,
        }
    )
    listing = await ingest.client.get("/v1/keys?member=vmu", headers=ingest.admin)
    (old,) = listing.json()["keys"]
    assert (old["label"], old["role"], old["member"]) == ("", "member", "vmu")


async def test_a_member_session_submits_imports_withdraws_and_lists_its_submissions(
    ingest: Ingest,
) -> None:
    session = await member_session(ingest, "vmu")
    auth = bearer(session["token"])
    sent = await ingest.client.post("/v1/records", json={"records": [record("a")]}, headers=auth)
    assert sent.status_code == 202, sent.text
    imported = await ingest.client.post(
        "/v1/imports",
        files={"file": ("x.csv", "local_id,title,kind\nb,Sách B,publication\n".encode())},
        headers=auth,
    )
    assert imported.status_code == 202, imported.text
    withdrawn = await ingest.client.delete("/v1/records/a", headers=auth)
    assert withdrawn.status_code == 202, withdrawn.text

    listing = await ingest.client.get("/v1/submissions", headers=auth)
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 3
    ids = [withdrawn.json()["submission_id"], imported.json()["submission_id"]]
    assert [s["submission_id"] for s in body["submissions"][:2]] == ids  # newest first
    assert {s["member"] for s in body["submissions"]} == {"vmu"}
    paged = await ingest.client.get("/v1/submissions?limit=1&offset=1", headers=auth)
    assert [s["submission_id"] for s in paged.json()["submissions"]] == ids[1:]
    one = await ingest.client.get(f"/v1/submissions/{ids[0]}", headers=auth)
    assert one.status_code == 200 and one.json()["member"] == "vmu"


async def test_a_centre_session_acts_for_the_member_it_names(ingest: Ingest) -> None:
    await ingest.register("vmu")
    centre = await sign_in(ingest, (await issue(ingest, label="B", role="centre"))["token"])
    auth = bearer(centre["token"])
    body = {"records": [record("a")]}
    unnamed = await ingest.client.post("/v1/records", json=body, headers=auth)
    assert unnamed.status_code == 422
    assert unnamed.json()["error"]["details"][0]["loc"] == ["query", "member"]
    unknown = await ingest.client.post("/v1/records?member=nobody", json=body, headers=auth)
    assert unknown.status_code == 404

    sent = await ingest.client.post("/v1/records?member=vmu", json=body, headers=auth)
    assert sent.status_code == 202, sent.text
    (event,) = await ingest.submitted(expect=1)
    assert event.member == "vmu"
    listing = await ingest.client.get("/v1/submissions?member=vmu", headers=auth)
    assert listing.json()["total"] == 1
    assert (await ingest.client.get("/v1/submissions?member=hpu", headers=auth)).json() == {
        "submissions": [],
        "total": 0,
    }


async def test_a_member_session_cannot_touch_another_members_submissions(ingest: Ingest) -> None:
    vmu = bearer((await member_session(ingest, "vmu"))["token"])
    hpu = await ingest.key_for("hpu")
    theirs = await ingest.client.post("/v1/records", json={"records": [record("x")]}, headers=hpu)
    assert theirs.status_code == 202

    read = await ingest.client.get(f"/v1/submissions/{theirs.json()['submission_id']}", headers=vmu)
    assert read.status_code == 404
    assert (await ingest.client.get("/v1/submissions?member=hpu", headers=vmu)).status_code == 403
    assert (await ingest.client.get("/v1/submissions", headers=vmu)).json()["total"] == 0
    for_them = await ingest.client.post(
        "/v1/records?member=hpu", json={"records": [record("y")]}, headers=vmu
    )
    assert for_them.status_code == 403
    keys = await ingest.client.get("/v1/keys?member=hpu", headers=vmu)
    assert keys.status_code == 403


async def test_a_suspended_members_sessions_stop_submitting(ingest: Ingest) -> None:
    session = await member_session(ingest, "vmu")
    await ingest.register("vmu", change="suspended", version=2)
    response = await ingest.client.post(
        "/v1/records", json={"records": [record("a")]}, headers=bearer(session["token"])
    )
    assert response.status_code == 403
    assert "tạm dừng" in response.json()["error"]["message"]
