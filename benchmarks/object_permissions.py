"""Benchmark 5: a contracted agent's assigned-account checks at scale, against the plain query.

The gate reads guardian's direct foreign-key table (patrons_patronuserobjectpermission)
itself; the plain query is the same lookup written by hand with the permission id
already known. Half the patrons checked are assigned, half are not.
"""

import random

from django.contrib.auth.models import Permission, User
from django.db import connection
from django.utils import timezone

from benchmarks.common import Result, alternate, median, ms
from patrons.models import Patron, PatronUserObjectPermission
from privacy import access
from privacy.models import ContractedAgent


def assign_grants(*, count: int) -> ContractedAgent:
    """Give one agent `count` assigned accounts with COPY (guardian's bulk path at this size)."""
    user, _ = User.objects.get_or_create(username="bench-agent")
    agent, _ = ContractedAgent.objects.get_or_create(
        name="Benchmark Collections",
        defaults={
            "purpose": "benchmark",
            "categories": ["identity", "circulation"],
            "contract_start": timezone.localdate(),
            "contract_end": timezone.localdate(),
            "user": user,
        },
    )
    permission = Permission.objects.get(codename="disclose_as_agent")
    PatronUserObjectPermission.objects.filter(user=user).delete()
    ids = list(Patron.objects.order_by("pk").values_list("pk", flat=True)[: count * 2 : 2])
    table = PatronUserObjectPermission._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f'COPY "{table}" (user_id, permission_id, content_object_id) FROM STDIN'
        ) as copy,
    ):
        for patron_id in ids:
            copy.write_row((user.pk, permission.pk, patron_id))
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{table}"')
    return agent


def run(*, agent: ContractedAgent, checks: int) -> Result:
    permission_id = Permission.objects.get(codename="disclose_as_agent").pk
    top = Patron.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    rng = random.Random(5)
    patrons = [Patron(pk=rng.randint(1, top)) for _ in range(checks)]
    position = {"gate": 0, "plain": 0}
    table = PatronUserObjectPermission._meta.db_table

    def gate_check() -> None:
        patron = patrons[position["gate"] % checks]
        position["gate"] += 1
        access._holds_patron_grant(agent.user_id, patron, "disclose_as_agent")

    def plain_check() -> None:
        patron = patrons[position["plain"] % checks]
        position["plain"] += 1
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT 1 FROM "{table}" WHERE user_id = %s AND content_object_id = %s '
                "AND permission_id = %s LIMIT 1",
                [agent.user_id, patron.pk, permission_id],
            )
            cursor.fetchone()

    gate_times, plain_times = alternate(gate_check, plain_check, rounds=checks)
    ratio = median(gate_times) / median(plain_times)
    grants = PatronUserObjectPermission.objects.filter(user_id=agent.user_id).count()
    patrons_total = Patron.objects.count()
    return Result(
        name="5. Object permissions: an agent's assigned-account check",
        measured=f"{ratio:.2f}× ({ms(median(gate_times))} vs {ms(median(plain_times))} median)",
        target="none set: the plain indexed query is the reference",
        met=None,
        details=[
            f"{patrons_total:,} patrons, {grants:,} grants to one agent, {checks:,} checks each"
        ],
    )
