# The audit trail's models now belong to the audit app (audit 0001); their
# tables stay where they are, so this changes Django's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0005_audit_content_type_protected'),
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='auditentry', name='actor'),
                migrations.RemoveField(model_name='auditentry', name='content_type'),
                migrations.DeleteModel(name='AuditVerification'),
                migrations.DeleteModel(name='AuditEntry'),
            ],
        ),
    ]
