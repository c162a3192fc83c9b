"""The one hardened lxml configuration for untrusted XML (MARCXML, OAI-PMH;
docs/operators/reliability.md)."""

from __future__ import annotations

from typing import Any, BinaryIO

from lxml import etree

# No entity expansion (XXE, billion laughs), no DTD, no network, no huge trees.
HARDENED: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


def hardened_parser() -> etree.XMLParser:
    """A parser for whole documents (``etree.fromstring(body, hardened_parser())``)."""
    return etree.XMLParser(**HARDENED)


def hardened_iterparse(stream: BinaryIO, tag: Any) -> Any:
    """Stream ``tag`` elements of a large document, comments and PIs dropped."""
    return etree.iterparse(
        stream,
        events=("end",),
        tag=tag,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        **HARDENED,
    )
