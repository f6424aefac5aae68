import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from library.roles import ROLES, Role

pytestmark = pytest.mark.django_db


def _perms(role):
    group = Group.objects.get(name=role.group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_migrate_leaves_one_group_per_role_with_its_permissions():
    for role in Role:
        assert _perms(role) == set(ROLES[role].permissions)


def test_sync_roles_removes_permissions_granted_by_hand_and_is_idempotent():
    group = Group.objects.get(name=Role.CIRCULATION.group_name)
    group.permissions.add(Permission.objects.get(codename="delete_patron"))
    call_command("sync_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("sync_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert "patrons.delete_patron" not in _perms(Role.CIRCULATION)
    assert Group.objects.filter(name=Role.CIRCULATION.group_name).count() == 1


def test_every_listed_permission_exists():
    for role, rights in ROLES.items():
        assert len(_perms(role)) == len(rights.permissions), role


def test_only_auditors_may_view_the_audit_trail_model():
    holders = [role for role in Role if "audit.view_auditentry" in ROLES[role].permissions]
    assert holders == [Role.AUDITOR]
