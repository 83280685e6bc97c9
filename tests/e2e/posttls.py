"""Postfix's ``posttls-finger`` as a peer of the DANE check, on the test DNS.

``posttls-finger`` resolves through the C library's resolver, which reads
``/etc/resolv.conf``.  :class:`PostTlsFinger` runs it in a private mount
namespace (``unshare -m``) with a resolv.conf of its own bind-mounted over
that file, naming the environment's validating Unbound (with ``trust-ad``,
without which glibc clears the AD bit Postfix relies on).  The machine's
own resolver configuration is never touched.  Postfix also needs a
``main.cf``: a minimal one in a directory of its own, via ``MAIL_CONFIG``.

:func:`classify` turns the log lines into one :class:`Outcome`; what each
outcome means for the comparison with our verdicts is in
``test_dane_posttls_e2e.py``.
"""

from __future__ import annotations

import enum
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Where Debian's ``postfix`` package puts the program.
PROGRAM: Final = "/usr/sbin/posttls-finger"

_MAIN_CF: Final = """\
compatibility_level = 3.6
myhostname = client.test
smtp_dns_support_level = dnssec
smtp_host_lookup = dns
"""


class Outcome(enum.Enum):
    """What one ``posttls-finger -l dane`` run ended with."""

    #: "Verified TLS connection": a DANE match, the MX RRset secure.
    VERIFIED = "verified"
    #: "Trusted TLS connection": a DANE match through an insecure MX RRset.
    TRUSTED = "trusted"
    #: Secure, usable TLSA records did not authenticate the peer (the
    #: session continues as "Untrusted" in this diagnostic tool only).
    DANE_MISMATCH = "dane-mismatch"
    #: Every TLSA record unusable: unauthenticated TLS, which is mandatory
    #: ("all TLSA records unusable" in Postfix 3.7's log).
    TLS_REQUIRED = "tls-required"
    #: DANE did not apply: ordinary (untrusted) opportunistic TLS.
    UNTRUSTED = "untrusted"
    #: The TLSA lookup failed (SERVFAIL, bogus): the host is not used.
    TLSA_ERROR = "tlsa-error"
    #: The TLS handshake failed.
    HANDSHAKE_FAILED = "handshake-failed"
    #: The server did not offer STARTTLS (the tool says QUIT and stops).
    NO_STARTTLS = "no-starttls"
    #: The domain publishes a null MX.
    NULL_MX = "null-mx"
    #: No SMTP session could be opened to any MX host.
    NO_SESSION = "no-session"


@dataclass
class FingerRun:
    domain: str
    argv: list[str]
    lines: list[str]
    seconds: float

    @property
    def outcome(self) -> Outcome:
        return classify(self.lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def resorted_to_pkix(self) -> bool:
        """``-l dane-only`` with no TLSA records: Postfix falls back to the
        "secure" level (a CA-verified name), which the lab's private CA fails."""
        return 'no TLSA records found, resorting to "secure"' in self.text


_ESTABLISHED = re.compile(r"^(Verified|Trusted|Untrusted|Anonymous) TLS connection established to")
#: OpenSSL's verification errors that only DANE matching produces:
#: 65 no matching DANE TLSA records; 62 hostname mismatch (DANE-TA names).
_DANE_ERRORS = re.compile(r"server certificate verification failed for .*: num=(65|62):")


def classify(lines: list[str]) -> Outcome:
    """The outcome of a run from its log lines (chat logging on)."""
    text = "\n".join(lines)
    if "does not accept mail (nullMX)" in text:
        return Outcome.NULL_MX
    if "TLSA lookup error" in text:
        return Outcome.TLSA_ERROR
    for line in lines:
        found = _ESTABLISHED.match(line)
        if found is None:
            continue
        word = found.group(1)
        if word == "Verified":
            return Outcome.VERIFIED
        if word == "Trusted":
            return Outcome.TRUSTED
        if _DANE_ERRORS.search(text):
            return Outcome.DANE_MISMATCH
        if "all TLSA records unusable" in text:
            return Outcome.TLS_REQUIRED
        return Outcome.UNTRUSTED
    if "SSL_connect error" in text or "TLS library problem" in text:
        return Outcome.HANDSHAKE_FAILED
    chat = [line for line in lines if line[:2] in ("< ", "> ")]
    if chat and "> QUIT" in chat and "> STARTTLS" not in chat:
        return Outcome.NO_STARTTLS
    return Outcome.NO_SESSION


def available() -> str | None:
    """Why ``posttls-finger`` cannot run here, or None when it can."""
    if not os.path.exists(PROGRAM):
        return f"{PROGRAM} is missing (Debian package postfix; scripts/install-test-deps.sh)"
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (util-linux)"
    return None


class PostTlsFinger:
    """Runs ``posttls-finger`` against a resolver at ``nameserver`` (port 53)."""

    def __init__(self, nameserver: str) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="dnssec-lite-posttls-"))
        (self.directory / "main.cf").write_text(_MAIN_CF)
        self.resolv_conf = self.directory / "resolv.conf"
        self.resolv_conf.write_text(f"nameserver {nameserver}\noptions trust-ad attempts:1\n")

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def run(self, domain: str, *options: str, timeout: float = 60.0) -> FingerRun:
        """``posttls-finger -l dane [options] domain`` (MX lookup), chat logged."""
        argv = [PROGRAM, "-t", "5", "-T", "5", "-l", "dane", *options, domain]
        wrapped = [
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"',
            str(self.resolv_conf),
            *argv,
        ]
        env = {**os.environ, "MAIL_CONFIG": str(self.directory)}
        start = time.monotonic()
        done = subprocess.run(
            wrapped, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
        seconds = time.monotonic() - start
        if done.returncode != 0:
            raise RuntimeError(
                f"posttls-finger for {domain} exited with {done.returncode}: {done.stderr.strip()}"
            )
        lines = []
        for raw in (done.stdout + done.stderr).splitlines():
            line = raw.removeprefix("posttls-finger: ").rstrip()
            if line:
                lines.append(line)
        return FingerRun(domain, argv, lines, seconds)
