# A patron's login keeps no copy of the patron's identity: the patron record is
# the one source (password reset reads the address there), so the name and
# address a login held are wiped. Staff and agent logins keep theirs.

from django.db import migrations


def wipe_copies(apps, schema_editor):
    User = apps.get_model("auth", "User")
    User.objects.filter(patron__isnull=False).update(first_name="", last_name="", email="")


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("patrons", "0004_identity_checks_and_consents_move_to_privacy"),
    ]

    operations = [
        migrations.RunPython(wipe_copies, migrations.RunPython.noop, elidable=False),
    ]
