"""Does an AMQP 0-9-1 broker answer at HOST:PORT? ``python3 amqp_handshake.py HOST PORT [SECONDS]``

Sends the protocol header and waits for the broker's first frame, Connection.Start (a method
frame on channel 0, class 10, method 10), then closes: an open port alone proves nothing (a
RabbitMQ can keep its port open and never finish a handshake). Standard library only: it
runs before the virtualenv exists. Prints one line saying what it found; exit status:
0 answers, 1 nothing listens, 2 port open but no handshake in time (hung), 3 not AMQP.
"""

from __future__ import annotations

import socket
import struct
import sys
import time

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_METHOD, CONNECTION_CLASS, START_METHOD = 1, 10, 10
ANSWERS, NOTHING, HUNG, NOT_AMQP = 0, 1, 2, 3


def read_exactly(sock: socket.socket, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("closed by the peer")
        data += chunk
    return data


def check(host: str, port: int, seconds: float) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    try:
        sock = socket.create_connection((host, port), timeout=min(seconds, 3.0))
    except OSError as exc:
        return NOTHING, f"nothing listens at {host}:{port} ({exc.strerror or exc})"
    with sock:
        try:
            sock.sendall(PROTOCOL_HEADER)
            # frame: type (1), channel (2), size (4); method payload: class (2), method (2)
            head = read_exactly(sock, 11, deadline)
        except TimeoutError:
            return HUNG, (
                f"{host}:{port} accepts TCP connections but sent no AMQP Connection.Start "
                f"within {seconds:g} s (the broker is hung)"
            )
        except OSError as exc:
            return NOT_AMQP, f"{host}:{port} closed the connection during the handshake ({exc})"
    kind, channel, _size, klass, method = struct.unpack(">BHIHH", head)
    if (kind, channel, klass, method) != (FRAME_METHOD, 0, CONNECTION_CLASS, START_METHOD):
        return NOT_AMQP, f"{host}:{port} answered, but not with AMQP 0-9-1 Connection.Start"
    return ANSWERS, f"AMQP broker answers at {host}:{port}"


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 64
    seconds = float(argv[2]) if len(argv) == 3 else 5.0
    status, message = check(argv[0], int(argv[1]), seconds)
    print(message)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
