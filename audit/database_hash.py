"""Hash format 2: the entry's hash as PostgreSQL computes it while inserting the entry (CONF-1).

On PostgreSQL a trigger (migration audit 0005) numbers each new entry, links it
to the head and hashes it, inside the INSERT: an append is one statement and
one round trip, and the hash covers exactly what the database keeps, in the
form it keeps it (an address as inet prints it, JSON as jsonb prints it).
The verifier recomputes the same expression over the stored row.

Frozen: an entry hashed in this form must verify for as long as the trail is
kept, so the expression below is never edited. A different form would be
format 3, written beside this one. Entries hashed by Python before the trigger
(format 1, and every entry on SQLite) keep their own form (audit.chain).
"""

from audit.chain import CHAIN_LOCK_KEY, GENESIS_HASH

PYTHON_FORMAT = 1
FORMAT = 2

# Every column the hash covers, in order, each as PostgreSQL writes it: the
# timestamp in UTC with six fraction digits, the address as inet's text. The
# first element names the format, so a hash of one format never matches another.
_ELEMENTS = (
    "{row}.seq",
    "{row}.prev_hash",
    """pg_catalog.to_char({row}."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "{row}.content_type_id",
    "{row}.object_pk",
    "{row}.object_id",
    "{row}.object_repr",
    "{row}.action",
    "{row}.changes",
    "{row}.changes_text",
    "{row}.actor_id",
    "{row}.actor_name",
    "{row}.actor_email",
    "{row}.remote_addr::text",
    "{row}.remote_port",
    "{row}.cid",
    "{row}.additional_data",
    "{row}.serialized_data",
    "{row}.category",
    "{row}.purpose",
    "{row}.clause",
    "{row}.decision",
)


def canonical_sql(row: str) -> str:
    """Return the SQL expression for a row's canonical text (a JSON array) given its alias.

    `row` is an identifier the caller controls ("NEW" in the trigger, "e" in
    the verifier), never user input. Functions are named with their schema so
    a session's search_path cannot put another function in their place.
    """
    elements = ", ".join(element.format(row=row) for element in _ELEMENTS)
    return f"pg_catalog.json_build_array({FORMAT}, {elements})::text"


def hash_sql(row: str) -> str:
    """Return the SQL expression for a row's format-2 hash: SHA-256 of its canonical text."""
    return (
        f"pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to({canonical_sql(row)}, "
        "'UTF8')), 'hex')"
    )


def trigger_sql(schema: str, table: str) -> str:
    """Return the statements that create the function and trigger numbering, linking and hashing.

    The function takes the chain's advisory lock (held to the end of the
    transaction, so appends from every process form one line), reads the head,
    and overwrites whatever the INSERT said for seq, prev_hash, entry_hash and
    hash_format: no statement the application's role may run can put an entry
    out of order or give it a hash of its own choosing. The timestamp is the
    application's (the database's clock if none is given), raised to the
    head's, so timestamps never go backwards along the chain. `schema` and
    `table` are quoted identifiers.
    """
    qualified = f"{schema}.{table}"
    # Identifiers from the migration, not input.
    return f"""
CREATE OR REPLACE FUNCTION {schema}.privacy_audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head record;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock({CHAIN_LOCK_KEY});
    -- Rows inserted earlier in the same statement are visible here, so a
    -- several-row INSERT is numbered and linked row by row.
    SELECT seq, entry_hash, "timestamp" INTO head FROM {qualified} ORDER BY seq DESC LIMIT 1;
    NEW."timestamp" := COALESCE(NEW."timestamp", pg_catalog.clock_timestamp());
    IF head.seq IS NULL THEN
        NEW.seq := 1;
        NEW.prev_hash := '{GENESIS_HASH}';
    ELSE
        NEW.seq := head.seq + 1;
        NEW.prev_hash := head.entry_hash;
        NEW."timestamp" := GREATEST(NEW."timestamp", head."timestamp");
    END IF;
    NEW.hash_format := {FORMAT};
    NEW.entry_hash := {hash_sql("NEW")};
    RETURN NEW;
END
$$;

CREATE TRIGGER privacy_audit_chain
    BEFORE INSERT ON {qualified}
    FOR EACH ROW EXECUTE FUNCTION {schema}.privacy_audit_chain();
"""  # noqa: S608


def drop_trigger_sql(schema: str, table: str) -> str:
    """Return the statements that remove what trigger_sql creates."""
    return (
        f"DROP TRIGGER IF EXISTS privacy_audit_chain ON {schema}.{table};\n"
        f"DROP FUNCTION IF EXISTS {schema}.privacy_audit_chain();\n"
    )
