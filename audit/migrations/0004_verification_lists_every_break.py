# A verification run records every break, not only the first. Runs recorded
# before this named one break each (break_seq, problem): they count it and list
# it, so every broken run satisfies the new constraint.

from django.db import migrations, models


def _list_the_one_break(apps, schema_editor):
    AuditVerification = apps.get_model("audit", "AuditVerification")
    for run in AuditVerification.objects.filter(intact=False):
        run.break_count = 1
        run.breaks = [{"seq": run.break_seq, "kind": "", "problem": run.problem}]
        run.save(update_fields=["break_count", "breaks"])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_witnessed_heads'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditverification',
            name='break_count',
            field=models.PositiveBigIntegerField(default=0, help_text='How many breaks the walk found, listed or not.'),
        ),
        migrations.AddField(
            model_name='auditverification',
            name='breaks',
            field=models.JSONField(blank=True, default=list, help_text='Each break: its entry, its kind and the problem.'),
        ),
        migrations.RunPython(_list_the_one_break, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='auditverification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('break_count', 0), ('intact', True)), models.Q(('break_count__gt', 0), ('intact', False)), _connector='OR'), name='audit_verification_breaks_counted'),
        ),
    ]
