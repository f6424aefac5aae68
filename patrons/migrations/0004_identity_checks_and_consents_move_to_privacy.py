# Identity checks and consents now belong to the privacy app (privacy 0007);
# their tables stay where they are, so this changes Django's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('patrons', '0003_card_number_search_index'),
        ('privacy', '0007_identity_checks_and_consents_move_to_privacy'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='identitycheck',
                    name='checked_by',
                ),
                migrations.RemoveField(
                    model_name='identitycheck',
                    name='patron',
                ),
                migrations.RemoveField(
                    model_name='identitycheck',
                    name='responsible_adult',
                ),
                migrations.DeleteModel(
                    name='Consent',
                ),
                migrations.DeleteModel(
                    name='IdentityCheck',
                ),
            ],
        ),
    ]
