"""Verification runs recorded before every break was listed keep their one break, counted."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_broken_run_recorded_before_counts_and_lists_its_one_break():
    old = _migrate([("audit", "0003_witnessed_heads")])
    OldRun = old.get_model("audit", "AuditVerification")
    facts = {"checked": 5, "start_seq": 1, "head_seq": 5, "head_hash": "a" * 64}
    intact = OldRun.objects.create(intact=True, **facts)
    broken = OldRun.objects.create(intact=False, break_seq=3, problem="it was altered", **facts)

    new = _migrate([("audit", "0004_verification_lists_every_break")])
    Run = new.get_model("audit", "AuditVerification")
    run = Run.objects.get(pk=intact.pk)
    assert (run.break_count, run.breaks) == (0, [])
    run = Run.objects.get(pk=broken.pk)
    listed = [{"seq": 3, "kind": "", "problem": "it was altered"}]
    assert (run.break_count, run.breaks) == (1, listed)
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
