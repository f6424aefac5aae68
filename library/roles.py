"""Staff roles, their Django groups and the model permissions each group holds.

Model permissions only open the staff pages and admin screens a role works in.
What a role may read about a patron is decided by the policy engine
(privacy.policy), never by these permissions: a superuser or a group with every
permission still reads protected data only through the gate (CONF-1, CONF-3).
"""

from typing import Any

from django.db import models, transaction


class Role(models.TextChoices):
    CIRCULATION = "circulation", "Circulation staff"
    REFERENCE = "reference", "Reference librarian"
    PERSON_IN_CHARGE = "person_in_charge", "Person in charge"
    SECURITY_GUARD = "security_guard", "Security guard"
    IT_STAFF = "it_staff", "IT staff"
    DIRECTOR = "director", "Library director"
    AUDITOR = "auditor", "Auditor"

    @property
    def group_name(self) -> str:
        return str(self.label)

    @classmethod
    def from_group_name(cls, name: str) -> "Role | None":
        return next((role for role in cls if role.group_name == name), None)


_DESK = [
    "library.view_branch",
    "patrons.view_patron",
    "patrons.add_patron",
    "patrons.change_patron",
    "patrons.view_responsibleadult",
    "patrons.add_responsibleadult",
    "patrons.change_responsibleadult",
    "patrons.delete_responsibleadult",
    "patrons.view_identitycheck",
    "patrons.add_identitycheck",
    "patrons.view_consent",
    "patrons.add_consent",
    "patrons.change_consent",
    "circulation.view_item",
    "circulation.view_loan",
    "circulation.view_hold",
    "circulation.view_fine",
    "circulation.view_loanrule",
]

# Facilities pages (issue 7). Every staff member may record an outside request
# for footage and see the stills shared while a ban is in effect (CAM-4, CAM-6);
# whether footage itself may be seen or released is decided by
# facilities.policy, never by these permissions.
_FACILITIES_ALL_STAFF = ["facilities.add_outsiderequest", "facilities.view_still"]
# Persons in charge and security guards handle incidents and bans (CONF-10).
_FACILITIES_INCIDENTS = [
    "facilities.view_incident",
    "facilities.add_incident",
    "facilities.view_incidentperson",
    "facilities.add_incidentperson",
    "facilities.add_policeidentityrelease",
    "facilities.view_policeidentityrelease",
    "facilities.view_ban",
    "facilities.add_ban",
    "facilities.change_ban",
]
# Designated footage viewers (CAM-3) open the recordings pages.
_FACILITIES_FOOTAGE = [
    "facilities.view_camera",
    "facilities.view_recording",
    "facilities.view_recordinghold",
    "facilities.add_recordinghold",
    "facilities.add_still",
]

# Model permissions per role. Later features add their models here.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CIRCULATION: [*_DESK, *_FACILITIES_ALL_STAFF],
    Role.REFERENCE: [
        "library.view_branch",
        "patrons.view_patron",
        "patrons.view_identitycheck",
        "patrons.add_identitycheck",
        "circulation.view_item",
        *_FACILITIES_ALL_STAFF,
    ],
    Role.PERSON_IN_CHARGE: [
        *_DESK,
        "circulation.add_item",
        "circulation.change_item",
        "circulation.change_loanrule",
        *_FACILITIES_ALL_STAFF,
        *_FACILITIES_INCIDENTS,
        *_FACILITIES_FOOTAGE,
        "facilities.add_camera",
        "facilities.change_camera",
    ],
    Role.SECURITY_GUARD: [
        "library.view_branch",
        *_FACILITIES_ALL_STAFF,
        *_FACILITIES_INCIDENTS,
        *_FACILITIES_FOOTAGE,
    ],
    # IT staff keep the cameras and the recorder running (CAM-1, CAM-3).
    Role.IT_STAFF: [
        "library.view_branch",
        *_FACILITIES_ALL_STAFF,
        "facilities.view_camera",
        "facilities.add_camera",
        "facilities.change_camera",
        "facilities.view_recording",
    ],
    # The director decides every release (CAM-5, CAM-6) and ties legal orders
    # to cameras; the recordings list lets them name the footage to release.
    Role.DIRECTOR: [
        *_DESK,
        "library.add_branch",
        "library.change_branch",
        "circulation.add_item",
        "circulation.change_item",
        "circulation.change_loanrule",
        *_FACILITIES_ALL_STAFF,
        *_FACILITIES_INCIDENTS,
        "facilities.view_camera",
        "facilities.view_recording",
        "facilities.view_recordinghold",
        "facilities.delete_recordinghold",
        "facilities.view_outsiderequest",
        "facilities.change_outsiderequest",
        "facilities.view_footagerelease",
        "facilities.add_footagerelease",
        "facilities.view_footageorderscope",
        "facilities.add_footageorderscope",
        "facilities.change_footageorderscope",
    ],
    Role.AUDITOR: ["library.view_branch", "privacy.view_auditentry", "facilities.view_still"],
}


def roles_sync() -> dict[str, int]:
    """Create each role's group and give it exactly its listed model permissions."""
    from django.contrib.auth.models import Group, Permission

    counts = {"groups": 0, "permissions": 0}
    with transaction.atomic():
        for role in Role:
            group, _ = Group.objects.get_or_create(name=role.group_name)
            wanted = ROLE_PERMISSIONS[role]
            by_app: dict[str, list[str]] = {}
            for dotted in wanted:
                app_label, codename = dotted.split(".", 1)
                by_app.setdefault(app_label, []).append(codename)
            permissions = [
                permission
                for app_label, codenames in by_app.items()
                for permission in Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            ]
            group.permissions.set(permissions)
            counts["groups"] += 1
            counts["permissions"] += len(permissions)
    return counts


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Keep the role groups in step with the code after every migrate."""
    from django.apps import apps

    # post_migrate is sent once per app that has models, and each app's
    # permissions are made in its own turn: wait for the last such app so every
    # permission exists.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        roles_sync()


def roles_of(user: Any) -> frozenset[Role]:
    """Return the staff roles a user holds through their groups (cached on the user)."""
    # Roles belong to staff accounts only; a patron's or agent's login costs no query.
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_staff", False)
    ):
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_library_roles", None)
    if cached is None:
        names = user.groups.values_list("name", flat=True)
        cached = frozenset(role for name in names if (role := Role.from_group_name(name)))
        user._library_roles = cached
    return cached
