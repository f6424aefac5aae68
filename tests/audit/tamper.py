"""What someone with database access could do to the audit table, for tests of the verifier.

Raw SQL, as a person at a database shell would write it. On PostgreSQL the
append-only triggers are switched off first, as such a person would have to;
the test's transaction rolls that back with everything else.
"""

from contextlib import contextmanager

from django.db import connection

from audit import database_hash
from audit.chain import HASHED_FIELDS, entry_hash
from audit.models import AuditEntry


@contextmanager
def triggers_off():
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            # ALTER TABLE waits for no deferred foreign-key checks: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE privacy_auditentry DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE privacy_auditentry ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def sql(statement, params=()):
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def alter(seq, **fields):
    assignments = ", ".join(f"{name} = %s" for name in fields)
    statement = f"UPDATE privacy_auditentry SET {assignments} WHERE seq = %s"
    sql(statement, [*fields.values(), seq])


def alter_and_rehash(seq, **fields):
    """Change an entry and give it the hash its new contents would have, in its own format."""
    alter(seq, **fields)
    rehash(seq)


def rehash(seq):
    entry = AuditEntry.objects.get(seq=seq)
    if entry.hash_format == database_hash.FORMAT:
        # The expression PostgreSQL's trigger hashes with, run by hand.
        statement = (
            f"UPDATE privacy_auditentry e SET entry_hash = {database_hash.hash_sql('e')} "
            "WHERE seq = %s"
        )
        sql(statement, [seq])
    else:
        alter(seq, entry_hash=entry_hash(entry))


def remove(*seqs):
    for seq in seqs:
        sql("DELETE FROM privacy_auditentry WHERE seq = %s", [seq])


# Far above any real entry: where renumbered entries wait, past the unique index
# (the database refuses numbers at or below zero).
_ASIDE = 10**15


def shift(from_seq, by):
    """Renumber every entry from from_seq on by `by` (in two steps, past the unique index)."""
    sql("UPDATE privacy_auditentry SET seq = seq + %s WHERE seq >= %s", [_ASIDE + by, from_seq])
    sql("UPDATE privacy_auditentry SET seq = seq - %s WHERE seq >= %s", [_ASIDE, _ASIDE])


def swap(first, second):
    sql("UPDATE privacy_auditentry SET seq = %s WHERE seq = %s", [_ASIDE, first])
    sql("UPDATE privacy_auditentry SET seq = %s WHERE seq = %s", [first, second])
    sql("UPDATE privacy_auditentry SET seq = %s WHERE seq = %s", [second, _ASIDE])


def insert_forged(seq, prev_hash, like):
    """Insert an entry at seq that links correctly to prev_hash, as a careful forger would."""
    forged = AuditEntry(
        **{
            name: getattr(like, name)
            for name in HASHED_FIELDS
            if name not in {"seq", "prev_hash", "content_type_id", "actor_id"}
        },
        content_type_id=like.content_type_id,
        actor_id=like.actor_id,
        seq=seq,
        prev_hash=prev_hash,
    )
    forged.object_repr = "patron #999999"
    forged.entry_hash = entry_hash(forged)
    with triggers_off():
        # bulk_create inserts without save(), so without the chain's own append.
        AuditEntry.objects.bulk_create([forged])
    return forged


def rewrite_consistently(seq, **fields):
    """Change an entry, then rehash it and relink every later one: a chain consistent with itself.

    What someone who can rewrite the table does to hide a change from a walk
    of the chain alone; only a head written down outside the database (a
    witness) still shows it.
    """
    alter_and_rehash(seq, **fields)
    later = AuditEntry.objects.filter(seq__gt=seq).order_by("seq").values_list("seq", flat=True)
    previous = AuditEntry.objects.get(seq=seq).entry_hash
    for number in list(later):
        alter(number, prev_hash=previous)
        rehash(number)
        previous = AuditEntry.objects.get(seq=number).entry_hash
