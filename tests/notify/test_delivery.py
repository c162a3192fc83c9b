"""Delivery: signed webhooks, a failing mail server, two notify instances at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx2
import orjson

from devstack.processes import free_port
from services.notify.bootstrap import create_app
from shared.config import Settings
from tests.notify.support import (
    Mailbox,
    WebhookReceiver,
    admin,
    publish,
    running_app,
    signature_valid,
    smtp_server,
)
from tests.notify.test_reminders import CENTRE, ago, known, member, run


@contextlib.asynccontextmanager
async def notify_on(
    settings: Settings, smtp_port: int, *, private_webhooks: bool = True
) -> AsyncIterator[httpx2.AsyncClient]:
    configured = settings.model_copy(
        update={
            "smtp_port": smtp_port,
            "centre_email": CENTRE,
            # The receiver runs on this machine: a private address the guard refuses by default.
            "webhook_allow_private_networks": private_webhooks,
        }
    )
    async with running_app(create_app(configured, run_schedule=False)) as client:
        yield client


async def reminders_of(client: httpx2.AsyncClient, settings: Settings, code: str) -> list[dict]:
    response = await client.get("/v1/reminders", params={"member": code}, headers=admin(settings))
    return response.json()["reminders"]


async def test_webhook_is_signed_retried_and_its_failures_visible(settings: Settings) -> None:
    mailbox, receiver = Mailbox(), WebhookReceiver()
    async with receiver.running(), contextlib.AsyncExitStack() as stack:
        smtp = stack.enter_context(smtp_server(mailbox))
        notify = await stack.enter_async_context(notify_on(settings, smtp.port))
        await publish(
            settings,
            member("hook", ago(days=200), contact_email=None, webhook_url=receiver.url("hook")),
        )
        await known(notify, "hook")

        receiver.fail_next = 3  # every try of the first run fails (3 tries with back-off)
        report = await run(notify, settings, datetime.now(UTC))
        assert report["dispatch"]["retry"] == 1 and receiver.attempts == 3
        (entry,) = await reminders_of(notify, settings, "hook")
        assert entry["status"] == "retry" and "HTTP 500" in entry["last_error"]

        await run(notify, settings, datetime.now(UTC))
        (entry,) = await reminders_of(notify, settings, "hook")
        assert entry["status"] == "sent" and entry["attempts"] == 2
        (delivery,) = receiver.deliveries
        assert delivery.path == "/hook/hook"
        secret = (
            await notify.get("/v1/members/hook/webhook-secret", headers=admin(settings))
        ).json()["secret"]
        assert signature_valid(secret, delivery)
        assert not signature_valid(secret + "0", delivery)
        payload = orjson.loads(delivery.body)
        assert payload["key"] == delivery.headers["x-stinet-delivery"] == entry["key"]
        assert payload["stage"] == entry["stage"] and "/v1/attest?token=" in payload["attest_url"]
        assert mailbox.to("hook@member.vn") == []  # no e-mail address: webhook only


async def test_a_webhook_to_a_private_address_is_refused_by_default(settings: Settings) -> None:
    mailbox, receiver = Mailbox(), WebhookReceiver()
    async with receiver.running(), contextlib.AsyncExitStack() as stack:
        smtp = stack.enter_context(smtp_server(mailbox))
        notify = await stack.enter_async_context(
            notify_on(settings, smtp.port, private_webhooks=False)
        )
        await publish(
            settings,
            member("hook", ago(days=200), contact_email=None, webhook_url=receiver.url("hook")),
        )
        await known(notify, "hook")

        report = await run(notify, settings, datetime.now(UTC))
        assert report["dispatch"]["retry"] == 1
        (entry,) = await reminders_of(notify, settings, "hook")
        assert entry["status"] == "retry" and "private" in entry["last_error"]
        assert receiver.attempts == 0 and receiver.deliveries == []


async def test_a_refusing_mail_server_is_retried_and_nothing_is_lost(settings: Settings) -> None:
    mailbox = Mailbox(refuse_next=2)  # 451 twice: the third try of the same send succeeds
    with smtp_server(mailbox) as smtp:
        async with notify_on(settings, smtp.port) as notify:
            await publish(settings, member("flaky", ago(days=200)))
            await known(notify, "flaky")
            report = await run(notify, settings, datetime.now(UTC))
            assert report["dispatch"]["sent"] == 2  # the member's reminder and the digest
            assert len(mailbox.to("flaky@member.vn")) == 1


async def test_a_mail_server_that_is_down_keeps_the_reminder_until_it_is_back(
    settings: Settings,
) -> None:
    port = free_port()  # nothing listens here yet
    async with notify_on(settings, port) as notify:
        await publish(settings, member("patient", ago(days=200)))
        await known(notify, "patient")
        report = await run(notify, settings, datetime.now(UTC))
        assert report["dispatch"] == {"sent": 0, "retry": 2, "failed": 0, "superseded": 0}
        (entry,) = await reminders_of(notify, settings, "patient")
        assert entry["status"] == "retry" and entry["last_error"]
        mailbox = Mailbox()
        with smtp_server(mailbox, port=port):
            await run(notify, settings, datetime.now(UTC))
            await run(notify, settings, datetime.now(UTC))
        assert len(mailbox.to("patient@member.vn")) == 1
        assert len(mailbox.to(CENTRE)) == 1
        (entry,) = await reminders_of(notify, settings, "patient")
        assert entry["status"] == "sent"


async def test_two_notify_instances_at_once_send_each_reminder_once(settings: Settings) -> None:
    mailbox = Mailbox()
    codes = [f"m{i:02d}" for i in range(40)]
    with smtp_server(mailbox) as smtp:
        async with notify_on(settings, smtp.port) as one, notify_on(settings, smtp.port) as two:
            await publish(settings, *(member(c, ago(days=190 + i)) for i, c in enumerate(codes)))
            await known(one, *codes)
            as_of = datetime.now(UTC) + timedelta(days=3)
            reports = await asyncio.gather(
                run(one, settings, as_of),
                run(two, settings, as_of),
                run(one, settings, as_of),
                run(two, settings, as_of),
            )
    keys = mailbox.delivered_keys()
    assert len(keys) == len(set(keys))
    assert sum(r["dispatch"]["sent"] for r in reports) == len(keys)
    assert {str(m["To"]) for m in mailbox.messages} >= {f"{c}@member.vn" for c in codes}
    assert sum(r["recorded"] for r in reports) == len(keys)
