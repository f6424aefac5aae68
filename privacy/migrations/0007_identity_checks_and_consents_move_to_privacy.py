# Identity checks and consents move from the patrons app to the privacy app: they
# are the records of the disclosure procedures the gate reads (CONF-4, CONF-7).
#
# Nothing in the database changes: the tables keep their names
# (patrons_identitycheck, patrons_consent), rows, indexes and constraints; only
# Django's record of which app owns them moves (patrons 0004 drops them from the
# patrons app's state). The content types are renamed in place, so their ids,
# which audit entries about these records carry inside their hashes, stay the
# same and the chain still verifies.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = ("identitycheck", "consent")


def _move_content_types(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # A fresh database has no content types yet: post_migrate makes them
        # under the new app after every migration has run.
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def _content_types_to_privacy(apps, schema_editor):
    _move_content_types(apps, "patrons", "privacy")


def _content_types_to_patrons(apps, schema_editor):
    _move_content_types(apps, "privacy", "patrons")


class Migration(migrations.Migration):

    dependencies = [
        ('patrons', '0003_card_number_search_index'),
        ('privacy', '0006_audit_trail_moves_to_audit_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='IdentityCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document_kind', models.CharField(choices=[('drivers_licence', "Driver's licence"), ('state_id', 'State ID card'), ('passport', 'Passport'), ('library_card', 'Library card with photo'), ('military_id', 'Military ID'), ('other', 'Other photo ID')], max_length=20)),
                ('checked_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('checked_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patron', models.ForeignKey(blank=True, help_text='The patron who showed identification.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='identity_checks', to='patrons.patron')),
                ('responsible_adult', models.ForeignKey(blank=True, help_text='A listed adult who is not a patron and showed identification.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='identity_checks', to='patrons.responsibleadult')),
            ],
            options={
                'db_table': 'patrons_identitycheck',
            },
        ),
        migrations.CreateModel(
            name='Consent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient', models.CharField(max_length=200)),
                ('category', models.CharField(choices=[('identity', 'Identity and account details'), ('circulation', 'Current loans, holds and fines'), ('reading_history', 'Reading history'), ('online_services', 'Computers and online services used'), ('reference', 'Reference consultations'), ('events', 'Event and communication sign-ups'), ('presence', 'Presence in a library building')], max_length=20)),
                ('purpose', models.CharField(max_length=255)),
                ('granted_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                ('patron', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='patrons.patron')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('identity_check', models.ForeignKey(blank=True, help_text='The identity check behind a consent recorded by staff at a desk.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='privacy.identitycheck')),
            ],
            options={
                'db_table': 'patrons_consent',
            },
        ),
        migrations.AddIndex(
            model_name='identitycheck',
            index=models.Index(fields=['patron', '-checked_at'], name='idcheck_patron_idx'),
        ),
        migrations.AddConstraint(
            model_name='identitycheck',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('patron__isnull', False), ('responsible_adult__isnull', True)), models.Q(('patron__isnull', True), ('responsible_adult__isnull', False)), _connector='OR'), name='identity_check_has_one_subject'),
        ),
        migrations.AddConstraint(
            model_name='consent',
            constraint=models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('patron', 'recipient', 'category'), name='consent_one_active_per_recipient_category'),
        ),
        migrations.AddConstraint(
            model_name='consent',
            constraint=models.CheckConstraint(condition=models.Q(('withdrawn_at__isnull', True), ('withdrawn_at__gte', models.F('granted_at')), _connector='OR'), name='consent_withdrawn_after_granted'),
        ),
        migrations.AddConstraint(
            model_name='consent',
            constraint=models.CheckConstraint(condition=models.Q(('recipient', ''), _negated=True), name='consent_recipient_set'),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
        migrations.RunPython(_content_types_to_privacy, _content_types_to_patrons, elidable=False),
    ]
