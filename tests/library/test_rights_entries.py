"""Roles, logins and authenticators from the outside: the command line and the staff admin.

`sync_roles` leaves one entry per role whose permissions changed and none when
nothing did; `staff_totp_enroll` records the authenticator it replaces and the
new one, its secret masked; the admin's user, password, group and staff-profile
screens, posted as a superuser, leave entries naming the field and the superuser
(issue 15, case 4). A password is recorded as changed, never as a value.
"""

import io
import json

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from library.authenticators import authenticator_enroll
from library.models import StaffProfile
from library.roles import ROLES, Role
from tests.audit.trail import Trail, naming
from tests.conftest import StaffClient
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db
ADMIN = "/staff/admin"


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", "x-long-password-1")


@pytest.fixture
def as_root(root):
    client = StaffClient()
    client.force_login(root)
    return client


def _permission(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


# --- sync_roles


def test_sync_roles_leaves_one_entry_per_role_whose_permissions_changed():
    director = Group.objects.get(name=Role.DIRECTOR.group_name)
    dropped = _permission("privacy.add_contractedagent")
    stray = _permission("audit.view_auditentry")
    director.permissions.remove(dropped)
    director.permissions.add(stray)
    trail = Trail()
    call_command("sync_roles", stdout=io.StringIO())
    entries = trail.new()
    assert len(entries) == 1
    [entry] = naming(entries, Group, director.pk, field="permissions")
    change = entry.changes["permissions"]
    assert change["type"] == "m2m"
    assert change["added"] == [str(dropped)] and change["removed"] == [str(stray)]
    assert entry.actor_id is None  # a command: no one signed in
    assert "library/roles.py" in entry.additional_data["reason"]
    assert set(director.permissions.all()) == {
        _permission(dotted) for dotted in ROLES[Role.DIRECTOR].permissions
    }


def test_migrate_brings_the_roles_in_step_with_the_same_one_entry_per_role():
    from django.apps import apps

    from library.roles import sync_roles_after_migrate

    director = Group.objects.get(name=Role.DIRECTOR.group_name)
    dropped = _permission("privacy.add_contractedagent")
    director.permissions.remove(dropped)
    trail = Trail()
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    sync_roles_after_migrate(sender=last)
    [entry] = trail.new()
    assert entry.object_pk == str(director.pk)
    assert entry.changes["permissions"]["added"] == [str(dropped)]


def test_sync_roles_in_step_appends_nothing():
    call_command("sync_roles", stdout=io.StringIO())
    trail = Trail()
    call_command("sync_roles", stdout=io.StringIO())
    assert trail.new() == []


def test_sync_roles_records_a_role_group_it_makes():
    Group.objects.filter(name=Role.AUDITOR.group_name).delete()
    trail = Trail()
    call_command("sync_roles", stdout=io.StringIO())
    group = Group.objects.get(name=Role.AUDITOR.group_name)
    entries = naming(trail.new(), Group, group.pk)
    assert [entry.action for entry in entries] == [
        AuditEntry.Action.CREATE,
        AuditEntry.Action.UPDATE,
    ]
    assert len(entries[1].changes["permissions"]["added"]) == len(ROLES[Role.AUDITOR].permissions)


# --- staff_totp_enroll


def test_staff_totp_enroll_records_the_old_authenticators_removal_and_the_new_one(director):
    old = authenticator_enroll(user=director)
    trail = Trail()
    call_command("staff_totp_enroll", director.username, stdout=io.StringIO())
    new = TOTPDevice.objects.get(user=director)
    entries = trail.new()
    [removed] = naming(entries, TOTPDevice, old.pk)
    [made] = naming(entries, TOTPDevice, new.pk)
    assert removed.action == AuditEntry.Action.DELETE and made.action == AuditEntry.Action.CREATE
    assert made.changes["user"] == [None, director.pk]
    assert made.changes["key"] == ["[redacted]", "[redacted]"]
    assert removed.changes["key"] == ["[redacted]", "[redacted]"]
    text = json.dumps([entry.changes for entry in AuditEntry.objects.all()])
    assert old.key not in text and new.key not in text


# --- The admin's user, password, group and staff-profile screens, as a superuser


def _user_form(user, **changes):
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [permission.pk for permission in user.user_permissions.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value != ""}


def test_the_user_screen_records_each_change_of_rights_and_who_made_it(as_root, root):
    clerk = UserFactory(username="clerk", role=Role.CIRCULATION)
    director = Group.objects.get(name=Role.DIRECTOR.group_name)
    circulation = Group.objects.get(name=Role.CIRCULATION.group_name)
    permission = _permission("privacy.add_contractedagent")
    trail = Trail()
    response = as_root.post(
        f"{ADMIN}/auth/user/{clerk.pk}/change/",
        _user_form(
            clerk,
            is_superuser="on",
            groups=[director.pk],
            user_permissions=[permission.pk],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entries = trail.new()
    [flags] = naming(entries, User, clerk.pk, field="is_superuser")
    assert flags.changes["is_superuser"] == [False, True] and flags.actor_id == root.pk
    groups = [entry.changes["groups"] for entry in naming(entries, User, clerk.pk, "groups")]
    assert {"type": "m2m", "operation": "add", "objects": [director.name]} in groups
    assert {"type": "m2m", "operation": "delete", "objects": [circulation.name]} in groups
    [direct] = naming(entries, User, clerk.pk, field="user_permissions")
    assert direct.changes["user_permissions"]["objects"] == [str(permission)]
    assert {entry.actor_id for entry in entries} == {root.pk}

    trail.new()
    clerk.refresh_from_db()
    as_root.post(
        f"{ADMIN}/auth/user/{clerk.pk}/change/",
        _user_form(clerk, is_active="", is_staff="", is_superuser=""),
    )
    [flags] = naming(trail.new(), User, clerk.pk, field="is_active")
    assert flags.changes["is_active"] == [True, False]
    assert flags.changes["is_staff"] == [True, False]
    assert flags.changes["is_superuser"] == [True, False]


def test_the_password_screen_records_that_the_password_changed_and_nothing_of_it(as_root, root):
    clerk = UserFactory(username="clerk", role=Role.CIRCULATION)
    old_hash = clerk.password
    trail = Trail()
    response = as_root.post(
        f"{ADMIN}/auth/user/{clerk.pk}/password/",
        {"password1": "a-new-secret-9876", "password2": "a-new-secret-9876"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    [entry] = naming(trail.new(), User, clerk.pk, field="password")
    assert entry.changes == {"password": ["[redacted]", "[redacted]"]}
    assert entry.actor_id == root.pk
    everything = json.dumps(list(AuditEntry.objects.values()), default=str)
    for secret in ("a-new-secret-9876", old_hash, clerk.password):
        assert secret not in everything


def test_the_add_user_screen_records_the_new_login_with_its_password_masked(as_root, root):
    trail = Trail()
    response = as_root.post(
        f"{ADMIN}/auth/user/add/",
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-first-secret-5432",
            "password2": "a-first-secret-5432",
        },
    )
    assert response.status_code == 302
    login = User.objects.get(username="newcomer")
    [entry] = [e for e in naming(trail.new(), User, login.pk) if e.action == 0]
    assert entry.changes["password"] == ["[redacted]", "[redacted]"]
    assert entry.changes["username"] == ["[redacted]", "[redacted]"]
    assert entry.actor_id == root.pk
    assert login.password not in json.dumps(list(AuditEntry.objects.values()), default=str)


def test_the_group_screen_records_its_permissions_and_its_name(as_root, root):
    group = Group.objects.create(name="Volunteers")
    kept, added = _permission("library.view_branch"), _permission("patrons.view_patron")
    group.permissions.add(kept)
    trail = Trail()
    response = as_root.post(
        f"{ADMIN}/auth/group/{group.pk}/change/",
        {"name": "Desk volunteers", "permissions": [added.pk]},
    )
    assert response.status_code == 302
    entries = trail.new()
    [renamed] = naming(entries, Group, group.pk, field="name")
    assert renamed.changes["name"] == ["Volunteers", "Desk volunteers"]
    changes = [
        entry.changes["permissions"] for entry in naming(entries, Group, group.pk, "permissions")
    ]
    assert {"type": "m2m", "operation": "add", "objects": [str(added)]} in changes
    assert {"type": "m2m", "operation": "delete", "objects": [str(kept)]} in changes
    assert {entry.actor_id for entry in entries} == {root.pk}


def test_the_staff_profile_screen_records_a_change_of_branch(as_root, root):
    clerk = UserFactory(username="clerk", role=Role.CIRCULATION)
    central, east = BranchFactory(code="CEN"), BranchFactory(code="EAS")
    profile = StaffProfile.objects.create(user=clerk, branch=central)
    trail = Trail()
    response = as_root.post(
        f"{ADMIN}/library/staffprofile/{profile.pk}/change/",
        {"user": clerk.pk, "branch": east.pk},
    )
    assert response.status_code == 302
    [entry] = naming(trail.new(), StaffProfile, profile.pk, field="branch")
    assert entry.changes["branch"] == [central.pk, east.pk]
    assert entry.actor_id == root.pk
