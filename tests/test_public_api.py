"""The package's public facade: ``from dnssec_lite import ...`` of the main types."""

from __future__ import annotations

import subprocess
import sys

import dnssec_lite
from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Answer, Reason, Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.resolve.resolver import AsyncResolver, Resolver


def test_every_name_in_all_exists() -> None:
    assert len(set(dnssec_lite.__all__)) == len(dnssec_lite.__all__)
    for name in dnssec_lite.__all__:
        assert getattr(dnssec_lite, name) is not None, name
    assert set(dnssec_lite.__all__) <= set(dir(dnssec_lite))


def test_main_types_are_re_exported() -> None:
    from dnssec_lite import Answer as A
    from dnssec_lite import AsyncResolver as AR
    from dnssec_lite import Reason as R
    from dnssec_lite import Resolver as Res
    from dnssec_lite import Status as S
    from dnssec_lite import TrustAnchors as T
    from dnssec_lite import Validator as V
    from dnssec_lite import load_anchors as la

    assert (Res, AR, A, S, R, T, la, V) == (
        Resolver,
        AsyncResolver,
        Answer,
        Status,
        Reason,
        TrustAnchors,
        load_anchors,
        Validator,
    )


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        dnssec_lite.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_import_stays_light() -> None:
    """``import dnssec_lite`` loads the codec only; the validator, resolver
    and ``cryptography`` come with the first use of their names."""
    code = (
        "import sys, dnssec_lite\n"
        "heavy = [m for m in ('cryptography', 'dnssec_lite.resolve', 'dnssec_lite.dnssec',"
        " 'asyncio') if m in sys.modules]\n"
        "print(heavy)\n"
        "dnssec_lite.Resolver\n"
        "print('dnssec_lite.resolve.resolver' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]
