"""``python -m devstack`` (what ``make run`` runs): the whole system with demo data.

Starts SecantusDB (unless ``MONGO_URL`` is set) and the four services, loads the demo once,
prints the URLs and the admin key, then supervises: a process that dies is started again
with back-off, and the event is printed. Ctrl-C or SIGTERM stops the services
(SIGTERM each, in-flight messages finish or go back to their queue), then SecantusDB.
"""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

from pydantic import ValidationError

from devstack.demo.loader import DemoLoader, DemoLoadError, DemoTarget
from devstack.processes import SERVICES
from devstack.stack import LocalStack, StackError, redact_url
from shared.config import Settings, load_settings


class Stop(Exception):
    """Ctrl-C or SIGTERM."""


def _raise_stop(signum: int, _: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def _ignore(signum: int, _: FrameType | None) -> None:
    print("Đang dừng… / stopping…", flush=True)


def banner(stack: LocalStack) -> str:
    """What a person needs to use the running system."""
    s = stack.settings
    u = stack.urls
    mail = (
        f"{stack.mail_dir} (Maildir, SMTP 127.0.0.1:{stack.smtp_port})"
        if stack.smtp_port
        else f"{s.smtp_host}:{s.smtp_port}"
    )
    lines = [
        "",
        "stinet đang chạy / is running",
        f"  Cổng tra cứu / portal       {u['search']}/",
        f"  Bàn làm việc / console      {u['search']}/console/",
        f"  API tra cứu / search API    {u['search']}/v1/search?q=dai+hoc+hang+hai",
        f"  OAI-PMH                     {u['catalogue']}/oai?verb=Identify",
        f"  Tình trạng cập nhật         {u['notify']}/v1/freshness",
        "  API docs (OpenAPI):",
        *(f"    {name:<10} {u[name]}/docs" for name in SERVICES),
        "",
        f"  Khoá quản trị / admin key   {stack.admin_key}",
        f"  Khoá thành viên mẫu         {stack.data_dir / 'demo-keys.json'}",
        f"  Dữ liệu / data dir          {stack.data_dir}",
        f"  Nhật ký / logs              {stack.log_dir}",
        f"  Thư gửi đi / outgoing mail  {mail}",
        f"  MongoDB                     {redact_url(stack.mongo_url)}",
        f"  RabbitMQ                    {redact_url(s.amqp_url.get_secret_value())}"
        f" (namespace {s.stinet_namespace})",
        "",
        "Nhấn Ctrl-C để dừng / press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def load_demo(stack: LocalStack) -> None:
    s = stack.settings
    target = DemoTarget(
        catalogue=stack.url("catalogue"),
        ingest=stack.url("ingest"),
        search=stack.url("search"),
        admin_key=stack.admin_key,
        data_dir=stack.data_dir,
        identity=f"{redact_url(stack.mongo_url)}|{s.stinet_db}|{s.stinet_namespace}",
    )
    loader = DemoLoader(target, say=lambda line: print(line, flush=True))
    try:
        loader.load()
    finally:
        loader.close()


def watch(stack: LocalStack) -> None:
    """Until Ctrl-C/SIGTERM: start again, with back-off, whatever dies, and say so."""
    while True:
        time.sleep(1.0)
        for event in stack.supervise():
            print(event, file=sys.stderr, flush=True)


def pid_line(stack: LocalStack) -> str:
    return "Tiến trình / processes: " + ", ".join(
        f"{name}={pid}" for name, pid in stack.pids().items()
    )


def run(settings: Settings) -> int:
    stack = LocalStack(settings)
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    code = 0
    try:
        print("Khởi động / starting SecantusDB and the services…", flush=True)
        stack.start()
        load_demo(stack)
        print(pid_line(stack), flush=True)
        print(banner(stack), flush=True)
        watch(stack)
    except Stop:
        code = 0
    except StackError as exc:
        print(str(exc), file=sys.stderr)
        code = 2
    except (DemoLoadError, RuntimeError, TimeoutError) as exc:
        print(f"Lỗi / error: {exc}", file=sys.stderr)
        print(stack.tails(30), file=sys.stderr)
        code = 1
    finally:
        signal.signal(signal.SIGINT, _ignore)
        signal.signal(signal.SIGTERM, _ignore)
        codes = stack.stop()
        if codes:
            summary = ", ".join(f"{name}={rc}" for name, rc in codes.items())
            print(f"Đã dừng / stopped: {summary}", flush=True)
    return code


def main() -> int:
    try:
        settings = load_settings()
    except ValidationError as exc:
        print(f"Cấu hình không hợp lệ / invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
