"""Witnessed heads: the chain's head, published outside the database, then checked against it.

A hash chain shows that no entry was changed in place, but whoever can rewrite
the table can rebuild a chain that is consistent with itself. So a scheduled
command (witness_audit_head) publishes the head (its number and hash) to
sinks outside the database, where the database's users cannot reach: a file
on another volume, syslog, mail to the auditors. verify_audit then checks
every head ever witnessed: still in the chain with the same hash, or in an
archive file that verifies. Removing, rewriting or reordering entries, even
consistently, then breaks a witnessed head (CONF-1).

Sinks are named in AUDIT_WITNESS_SINKS as addresses:
`file:///var/lib/library-witness/heads.log`, `syslog:///dev/log`,
`syslog://loghost:514`, `mailto:auditors@example.org`.
"""

import datetime
import logging
import logging.handlers
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from audit import chain

UNKNOWN_SINK = "AUDIT_WITNESS_SINKS has {sink!r}: use file://, syslog:// or mailto: addresses."
LINE = "{at} {seq}:{hash}\n"
SUBJECT = "Audit trail head #{seq}"


@dataclass(frozen=True)
class Witnessed:
    """A head as a sink recorded it."""

    seq: int
    hash: str
    at: datetime.datetime | None = None


class Sink(Protocol):
    def publish(self, head: chain.Head, at: datetime.datetime) -> None: ...


@dataclass(frozen=True)
class FileSink:
    """Append each head as a line to a file, forced to disk."""

    path: Path

    def publish(self, head: chain.Head, at: datetime.datetime) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(LINE.format(at=at.isoformat(), seq=head.seq, hash=head.hash))
            out.flush()
            os.fsync(out.fileno())


@dataclass(frozen=True)
class SyslogSink:
    """Send each head to syslog (a local socket or a remote host)."""

    address: str | tuple[str, int]

    def publish(self, head: chain.Head, at: datetime.datetime) -> None:
        handler = logging.handlers.SysLogHandler(address=self.address)
        try:
            record = logging.LogRecord(
                "audit.witness", logging.INFO, __file__, 0, "audit head %s", (head,), None
            )
            handler.emit(record)
        finally:
            handler.close()


@dataclass(frozen=True)
class MailSink:
    """Mail each head to the auditors."""

    to: str

    def publish(self, head: chain.Head, at: datetime.datetime) -> None:
        send_mail(
            SUBJECT.format(seq=head.seq),
            f"The audit trail's head at {at.isoformat()} is {head}.\n",
            settings.DEFAULT_FROM_EMAIL,
            [self.to],
        )


def sink_for(address: str) -> Sink:
    """Return the sink an address names; ValueError for one no sink reads."""
    parsed = urlparse(address)
    if parsed.scheme == "file" and parsed.path:
        return FileSink(Path(parsed.path))
    if parsed.scheme == "syslog":
        if parsed.hostname:
            return SyslogSink((parsed.hostname, parsed.port or 514))
        if parsed.path:
            return SyslogSink(parsed.path)
    if parsed.scheme == "mailto" and parsed.path:
        return MailSink(parsed.path)
    raise ValueError(UNKNOWN_SINK.format(sink=address))


def configured_sinks() -> list[Sink]:
    """Return the sinks AUDIT_WITNESS_SINKS names (the system check refuses a bad one)."""
    return [sink_for(address) for address in settings.AUDIT_WITNESS_SINKS]


def witness_file() -> Path | None:
    """Return the file sink verify_audit reads witnessed heads back from, if there is one."""
    for sink in configured_sinks():
        if isinstance(sink, FileSink):
            return sink.path
    return None


def publish(head: chain.Head, sinks: list[Sink]) -> list[str]:
    """Publish a head to every sink; return the problems of those that failed, if any."""
    at = timezone.now()
    problems = []
    for sink in sinks:
        try:
            sink.publish(head, at)
        except OSError as error:  # a full disk, a closed socket, a refused mail server
            problems.append(f"{type(sink).__name__}: {error.strerror or type(error).__name__}")
    return problems


def read_witnessed(path: Path) -> Iterator[Witnessed]:
    """Yield the heads a witness file holds; ValueError names a line that is not one."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                at_text, head_text = line.split()
                seq_text, hash_text = head_text.split(":")
                seq, at = int(seq_text), datetime.datetime.fromisoformat(at_text)
            except ValueError:
                raise ValueError(f"line {number} of the witness file is not a head") from None
            if seq < 1 or len(hash_text) != 64:
                raise ValueError(f"line {number} of the witness file is not a head")
            yield Witnessed(seq, hash_text, at)
