"""Mail over SMTP (aiosmtplib): STARTTLS and login as configured, a small connection pool."""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

import aiosmtplib
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from services.notify.ports import OutgoingMail
from shared.config import Settings

POOL_SIZE = 4
# Folding at 78 columns makes CPython drop the space between two encoded words of a
# Vietnamese subject ("8 ngày" arrives as "8ngày"); RFC 5322 allows lines up to 998.
WIRE_POLICY = SMTP.clone(max_line_length=998)


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """multipart/alternative: English first, Vietnamese last (the part readers prefer)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(localtime=False)
    message["Content-Language"] = "vi"
    message["X-Stinet-Reminder"] = mail.key
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.text_en, charset="utf-8")
    message.add_alternative(mail.text_vi, charset="utf-8")
    english, vietnamese = message.iter_parts()
    english["Content-Language"] = "en"
    vietnamese["Content-Language"] = "vi"
    return message


class SmtpMailer:
    """Sends through ``SMTP_HOST:SMTP_PORT``; a refused or broken send is retried (3 tries)."""

    def __init__(self, settings: Settings, *, attempts: int = 3, timeout: float = 30.0) -> None:
        self._settings = settings
        self._attempts = attempts
        self._timeout = timeout
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP] = asyncio.LifoQueue(POOL_SIZE)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            start_tls=s.smtp_starttls,
            timeout=self._timeout,
        )
        await client.connect()
        if s.smtp_username:
            password = s.smtp_password.get_secret_value() if s.smtp_password else ""
            await client.login(s.smtp_username, password)
        return client

    async def _send_once(self, recipient: str, data: bytes) -> None:
        try:
            client = self._idle.get_nowait()
        except asyncio.QueueEmpty:
            client = await self._connect()
        try:
            await client.sendmail(self._settings.smtp_from, [recipient], data)
        except BaseException:
            with contextlib.suppress(Exception):
                client.close()
            raise
        try:
            self._idle.put_nowait(client)
        except asyncio.QueueFull:
            await self._quit(client)

    async def send(self, mail: OutgoingMail) -> None:
        """Hand the mail to the server; raises the last error if every try failed."""
        data = build_message(mail, self._settings.smtp_from).as_bytes(policy=WIRE_POLICY)
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            retry=retry_if_exception_type((aiosmtplib.SMTPException, OSError)),
            reraise=True,
        ):
            with attempt:
                await self._send_once(mail.to, data)

    @staticmethod
    async def _quit(client: aiosmtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            await client.quit()

    async def close(self) -> None:
        while not self._idle.empty():
            await self._quit(self._idle.get_nowait())
