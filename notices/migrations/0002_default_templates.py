"""The library's first words for each notice (notices.defaults); the person in charge edits them."""

from django.db import migrations

from notices.defaults import DEFAULTS, default_words


def create_defaults(apps, schema_editor):
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    for kind in DEFAULTS:
        for channel in ("email", "letter"):
            subject, body = default_words(kind, channel)
            NoticeTemplate.objects.get_or_create(
                kind=kind, channel=channel, defaults={"subject": subject, "body": body}
            )


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
