"""Publish the audit trail's head outside the database (see audit.witness)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import chain, witness
from audit.models import AuditWitness
from library.jobs import scheduled_job

NO_SINKS = "No witness sinks are set: list them in AUDIT_WITNESS_SINKS."
SOME_FAILED = "Head {head} reached {reached} of {total} sinks; failed: {problems}."


class Command(BaseCommand):
    help = (
        "Publish the audit trail's head (its last entry's number and hash) to every sink in "
        "AUDIT_WITNESS_SINKS (a file on another volume, syslog, mail to the auditors), outside "
        "the reach of anyone holding only the database. verify_audit checks every head a file "
        "sink holds against the chain and the archives, so a rewrite that keeps the chain "
        "consistent is still caught. Run it on a schedule (hourly). Exits non-zero if any sink "
        "failed; the others still received the head."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with scheduled_job("witness_audit_head") as run:
            run.summary = self._witness()
        self.stdout.write(run.summary)

    def _witness(self) -> str:
        try:
            sinks = witness.configured_sinks()
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not sinks:
            raise CommandError(NO_SINKS)
        head = chain.chain_head()
        problems = witness.publish(head, sinks)
        AuditWitness.objects.create(
            head_seq=head.seq,
            head_hash=head.hash,
            sinks=len(sinks) - len(problems),
            problem="; ".join(problems),
        )
        if problems:
            raise CommandError(
                SOME_FAILED.format(
                    head=head,
                    reached=len(sinks) - len(problems),
                    total=len(sinks),
                    problems="; ".join(problems),
                )
            )
        return f"Witnessed head {head} in {len(sinks)} sink(s)."
