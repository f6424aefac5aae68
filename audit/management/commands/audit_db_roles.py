"""Create the database roles that keep the audit trail out of the web application's reach."""

import os
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from audit.chain import AUDIT_TABLE

NOT_POSTGRESQL = "Database roles exist on PostgreSQL only; this database is {vendor}."
BAD_NAME = "A role name is letters, digits and underscores, starting with a letter: not {name!r}."
SAME_ROLE = "The application and the archiver must be two different roles."
# The names of the password variables the command reads (never an argument: it
# would land in the shell's history and the process list).
APP_PASSWORD = "APP_DATABASE_PASSWORD"  # noqa: S105 - a variable's name
ARCHIVER_PASSWORD = "ARCHIVER_DATABASE_PASSWORD"  # noqa: S105 - a variable's name
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


def _role_sql(role: str, password: str | None) -> list[tuple[str, list[Any]]]:
    statements: list[tuple[str, list[Any]]] = [
        (
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
            f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT; "
            "END IF; END $$",
            [],
        ),
        # Whatever it held before, it now holds only what follows.
        (f"ALTER ROLE {role} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS", []),
    ]
    if password:
        statements.append((f"ALTER ROLE {role} PASSWORD %s", [password]))
    return statements


class Command(BaseCommand):
    help = (
        "Create or update, on PostgreSQL, the two roles the library's processes connect as, and "
        "give each exactly its privileges. The web application's role (--app-role) reads and "
        "writes the application's tables, but on the audit trail it may only INSERT and SELECT: "
        "no UPDATE, DELETE or TRUNCATE, and as it owns nothing it cannot disable or replace the "
        "trail's triggers. The archiver's role (--archiver-role) may also DELETE entries a "
        "checkpoint covers; only archive_audit connects as it (ARCHIVER_DATABASE_URL), and the "
        "web application never holds its credentials. Run it as the database's owner, the role "
        "that runs migrations, after every migrate. Passwords are read from the environment "
        f"({APP_PASSWORD}, {ARCHIVER_PASSWORD}); a role given none keeps its password. Safe to "
        "run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--app-role", default="library_app", help="The web application's role name."
        )
        parser.add_argument(
            "--archiver-role", default="library_archiver", help="The archiver's role name."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections["default"]
        if connection.vendor != "postgresql":
            raise CommandError(NOT_POSTGRESQL.format(vendor=connection.vendor))
        app, archiver = options["app_role"], options["archiver_role"]
        for name in (app, archiver):
            if not _NAME.match(name):
                raise CommandError(BAD_NAME.format(name=name))
        if app.lower() == archiver.lower():
            raise CommandError(SAME_ROLE)
        trail = connection.ops.quote_name(AUDIT_TABLE)
        statements = [
            *_role_sql(app, os.environ.get(APP_PASSWORD)),
            *_role_sql(archiver, os.environ.get(ARCHIVER_PASSWORD)),
            (f"GRANT USAGE ON SCHEMA public TO {app}, {archiver}", []),
            # Start from nothing, so a privilege granted by hand does not survive.
            (f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}, {archiver}", []),
            (f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {app}, {archiver}", []),
            (f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}", []),
            (f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}", []),
            # The trail: appended to and read, never changed, by the application (CONF-1).
            (f"REVOKE UPDATE, DELETE, TRUNCATE ON {trail} FROM {app}", []),
            # The archiver appends the checkpoint, then removes what it archived.
            (f"GRANT SELECT, INSERT, DELETE ON {trail} TO {archiver}", []),
            (f"GRANT USAGE, SELECT ON SEQUENCE {AUDIT_TABLE}_id_seq TO {archiver}", []),
            (f"GRANT SELECT ON django_content_type TO {archiver}", []),
            # Tables later migrations create get the application's privileges too;
            # a new table is never the trail, whose grants are set above.
            (
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
                [],
            ),
            (
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
                [],
            ),
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params or None)
        self.stdout.write(
            f"Roles ready: {app} (the trail: INSERT and SELECT only) and {archiver} "
            "(the trail: also DELETE of archived entries)."
        )
