# The audit trail moves from the privacy app into its own app, table and all.
#
# Nothing in the database changes: the tables keep their names
# (privacy_auditentry, privacy_auditverification), their rows, indexes and the
# append-only triggers. Only Django's record of which app owns the models moves
# (state operations here, and privacy 0006 drops them from the privacy app's
# state). The content types are renamed in place, so their ids, which every
# entry's hash covers through content_type_id, stay the same and a chain written
# before the move still verifies after it.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = ("auditentry", "auditverification")


def _move_content_types(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # A fresh database has no content types yet: post_migrate makes them
        # under the new app after every migration has run.
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def _content_types_to_audit(apps, schema_editor):
    _move_content_types(apps, "privacy", "audit")


def _content_types_to_privacy(apps, schema_editor):
    _move_content_types(apps, "audit", "privacy")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables are created by the privacy app's migrations, where they lived first.
        ('privacy', '0005_audit_content_type_protected'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='AuditVerification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ran_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('checked', models.PositiveBigIntegerField(help_text='How many entries were walked.')),
                ('start_seq', models.BigIntegerField(help_text='The first entry walked (after any archive).')),
                ('head_seq', models.BigIntegerField()),
                ('head_hash', models.CharField(max_length=64)),
                ('intact', models.BooleanField()),
                ('break_seq', models.BigIntegerField(blank=True, null=True)),
                ('problem', models.TextField(blank=True)),
                ('expected_head_seq', models.BigIntegerField(blank=True, help_text='The written-down head checked against, if any.', null=True)),
                ('seconds', models.FloatField(default=0)),
            ],
            options={
                'db_table': 'privacy_auditverification',
                'ordering': ['-ran_at'],
                'get_latest_by': 'ran_at',
                'indexes': [models.Index(fields=['-ran_at'], name='audit_verification_ran_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('break_seq__isnull', True), ('intact', True)), ('intact', False), _connector='OR'), name='audit_verification_intact_has_no_break')],
            },
        ),
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_pk', models.CharField(db_index=True, max_length=255, verbose_name='object pk')),
                ('object_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='object id')),
                ('object_repr', models.TextField(verbose_name='object representation')),
                ('serialized_data', models.JSONField(null=True)),
                ('action', models.PositiveSmallIntegerField(choices=[(0, 'create'), (1, 'update'), (2, 'delete'), (3, 'access')], db_index=True, verbose_name='action')),
                ('changes_text', models.TextField(blank=True, verbose_name='change message')),
                ('changes', models.JSONField(null=True, verbose_name='change message')),
                ('cid', models.CharField(blank=True, db_index=True, max_length=255, null=True, verbose_name='Correlation ID')),
                ('remote_addr', models.GenericIPAddressField(blank=True, null=True, verbose_name='remote address')),
                ('remote_port', models.PositiveIntegerField(blank=True, null=True, verbose_name='remote port')),
                ('timestamp', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='timestamp')),
                ('additional_data', models.JSONField(blank=True, null=True, verbose_name='additional data')),
                ('actor_email', models.CharField(blank=True, max_length=254, null=True, verbose_name='actor email')),
                ('actor_name', models.CharField(blank=True, max_length=150)),
                ('seq', models.BigIntegerField(editable=False, unique=True)),
                ('prev_hash', models.CharField(editable=False, max_length=64)),
                ('entry_hash', models.CharField(editable=False, max_length=64)),
                ('category', models.CharField(blank=True, max_length=20)),
                ('purpose', models.CharField(blank=True, max_length=40)),
                ('clause', models.CharField(blank=True, max_length=10)),
                ('decision', models.CharField(blank=True, max_length=10)),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='content type')),
            ],
            options={
                'verbose_name': 'audit entry',
                'verbose_name_plural': 'audit entries',
                'db_table': 'privacy_auditentry',
                'ordering': ['-seq'],
                'get_latest_by': 'seq',
                'abstract': False,
                'indexes': [models.Index(fields=['content_type', 'object_id', '-seq'], name='audit_object_idx'), models.Index(fields=['actor', '-seq'], name='audit_actor_idx'), models.Index(fields=['decision', '-seq'], name='audit_decision_idx'), models.Index(fields=['category', '-seq'], name='audit_category_idx'), models.Index(fields=['clause', '-seq'], name='audit_clause_idx'), models.Index(fields=['action', '-seq'], name='audit_action_idx'), models.Index(fields=['timestamp', 'seq'], name='audit_time_seq_idx'), models.Index(condition=models.Q(('additional_data__has_key', 'agent')), fields=['-seq'], name='audit_agent_idx'), models.Index(condition=models.Q(('additional_data__has_key', 'checkpoint')), fields=['-seq'], name='audit_checkpoint_idx')],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
        migrations.RunPython(_content_types_to_audit, _content_types_to_privacy, elidable=False),
    ]
