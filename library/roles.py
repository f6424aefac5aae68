"""The one role table: each staff role's group, model permissions, operations and sign-in.

Everything a role may do is read from `ROLES` below: the Django group and its
model permissions (which admin screens and facilities pages open), the library
operations it performs (CONF-3: the purposes its reads of patron data may
have), whether it views or releases camera footage (CAM-3, CAM-5, CAM-6), and
whether it signs in with a second factor. Staff pages name the operation or
permission they serve (library.staff.staff_page), and the staff menu is built
from those pages, so a page, its menu item and the policy read one row.

What a role may read about a patron is still decided by the policy engine
(privacy.policy), which reads the operations from this table and decides the
categories each one needs; model permissions never open patron data by
themselves. A superuser gets no role and so no patron data (CONF-1).
"""

from collections.abc import Iterable
from dataclasses import dataclass
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


class Purpose(models.TextChoices):
    """Why patron data is read; written with every read in the audit trail.

    The staff purposes (circulation to audit) are the library operations of
    CONF-3: the role table gives each role the ones it performs, and the policy
    (privacy.policy) says which data categories each needs. The others are the
    purposes of patrons, adults, agents and outside requesters.
    """

    SELF_SERVICE = "self_service", "The patron's own use"
    GUARDIAN = "guardian", "A responsible adult looking after a minor's account"
    CIRCULATION = "circulation", "Circulation desk: check-out, check-in, renewals"
    HOLDS = "holds", "Placing and managing holds"
    FINES = "fines", "Fines and payments"
    REGISTRATION = "registration", "Registering and updating patron accounts"
    REFERENCE = "reference", "Reference service"
    COMPUTER_SERVICES = "computer_services", "Computer and online-service support"
    EVENTS = "events", "Events and communications"
    FOUND_ITEM = "found_item", "Returning a found item to its owner"
    INCIDENT = "incident", "A crime or a violation of library rules"
    AUDIT = "audit", "Auditing the use of patron data"
    LEGAL_ORDER = "legal_order", "Complying with a court order or subpoena"
    ORDER_REVIEW = "order_review", "Reviewing a legal order and whom it names"
    CONTRACT = "contract", "Work under contract for the library"
    CONSENT = "consent", "A release the patron consented to"
    DESK_INQUIRY = "desk_inquiry", "A question at the desk"
    MONITORING = "monitoring", "Watching for a person and reporting their arrival"
    OPEN_RECORDS = "open_records", "An open-records request"


class Duty(models.TextChoices):
    """Work a role does that is neither a library operation nor a model permission."""

    # Enrolling staff members' authenticators and revoking their recovery codes
    # (library.authenticators); superusers do it too.
    MANAGE_LOGINS = "manage_logins", "Managing staff sign-in factors"


@dataclass(frozen=True)
class RoleRights:
    """One row of the role table."""

    # Django model permissions: the admin screens and facilities pages the role opens.
    permissions: frozenset[str]
    # The library operations the role performs (CONF-3); a staff page serving an
    # operation opens to the roles that perform it.
    operations: frozenset[Purpose]
    views_footage: bool = False  # a designated footage viewer (CAM-3)
    releases_footage: bool = False  # decides releases of footage (CAM-5, CAM-6)
    second_factor: bool = False  # signs in with an authenticator code too
    duties: frozenset[Duty] = frozenset()


def _rights(
    *groups: Iterable[str],
    operations: Iterable[Purpose],
    views_footage: bool = False,
    releases_footage: bool = False,
    second_factor: bool = False,
    duties: Iterable[Duty] = (),
) -> RoleRights:
    return RoleRights(
        permissions=frozenset(permission for group in groups for permission in group),
        operations=frozenset(operations),
        views_footage=views_footage,
        releases_footage=releases_footage,
        second_factor=second_factor,
        duties=frozenset(duties),
    )


# Model permissions in groups several roles share.
_DESK = (
    "library.view_branch",
    "patrons.view_patron",
    "patrons.add_patron",
    "patrons.change_patron",
    "patrons.view_responsibleadult",
    "patrons.add_responsibleadult",
    "patrons.change_responsibleadult",
    "patrons.delete_responsibleadult",
    "privacy.view_identitycheck",
    "privacy.add_identitycheck",
    "privacy.view_consent",
    "privacy.add_consent",
    "privacy.change_consent",
    "circulation.view_bibliographicrecord",
    "circulation.view_item",
    "circulation.view_loan",
    "circulation.view_hold",
    "circulation.view_fine",
    "circulation.view_loanrule",
)
_CATALOGUE = (
    "circulation.add_bibliographicrecord",
    "circulation.change_bibliographicrecord",
    "circulation.add_item",
    "circulation.change_item",
    "circulation.change_loanrule",
)
# The words of the library's notices (the notices app's templates page).
_NOTICE_WORDS = ("notices.view_noticetemplate", "notices.change_noticetemplate")
# Every staff member may record an outside request for footage and see the
# stills shared while a ban is in effect (CAM-4, CAM-6).
_ALL_STAFF = ("library.view_branch", "facilities.add_outsiderequest", "facilities.view_still")
# Incidents and bans (CONF-10).
_INCIDENTS = (
    "facilities.view_incident",
    "facilities.add_incident",
    "facilities.view_incidentperson",
    "facilities.add_incidentperson",
    "facilities.add_policeidentityrelease",
    "facilities.view_policeidentityrelease",
    "facilities.view_ban",
    "facilities.add_ban",
    "facilities.change_ban",
)
# The recordings pages of designated footage viewers (CAM-3).
_FOOTAGE = (
    "facilities.view_camera",
    "facilities.view_recording",
    "facilities.view_recordinghold",
    "facilities.add_recordinghold",
    "facilities.add_still",
)
_CAMERAS = ("facilities.view_camera", "facilities.add_camera", "facilities.change_camera")
# The circulation statistics page: anonymous daily counts, suppressed (CONF-9), for
# the roles that run the library's service; the guard, IT staff and auditors do not.
_STATISTICS = ("circulation.view_circulationday",)
# The operations of the circulation desk (CONF-3) and of found items (CONF-8).
_DESK_OPERATIONS = (
    Purpose.CIRCULATION,
    Purpose.HOLDS,
    Purpose.FINES,
    Purpose.REGISTRATION,
    Purpose.FOUND_ITEM,
)

ROLES: dict[Role, RoleRights] = {
    Role.CIRCULATION: _rights(
        _DESK,
        _ALL_STAFF,
        _STATISTICS,
        operations=[
            *_DESK_OPERATIONS,
            Purpose.COMPUTER_SERVICES,
            Purpose.EVENTS,
            Purpose.DESK_INQUIRY,
            Purpose.LEGAL_ORDER,
        ],
    ),
    Role.REFERENCE: _rights(
        (
            "patrons.view_patron",
            "privacy.view_identitycheck",
            "privacy.add_identitycheck",
            "circulation.view_bibliographicrecord",
            "circulation.view_item",
        ),
        _ALL_STAFF,
        _STATISTICS,
        operations=[
            Purpose.REFERENCE,
            Purpose.COMPUTER_SERVICES,
            Purpose.EVENTS,
            Purpose.DESK_INQUIRY,
            Purpose.LEGAL_ORDER,
        ],
    ),
    Role.PERSON_IN_CHARGE: _rights(
        _DESK,
        _CATALOGUE,
        _NOTICE_WORDS,
        _ALL_STAFF,
        _INCIDENTS,
        _FOOTAGE,
        _CAMERAS,
        _STATISTICS,
        operations=[
            *_DESK_OPERATIONS,
            Purpose.REFERENCE,
            Purpose.COMPUTER_SERVICES,
            Purpose.EVENTS,
            Purpose.INCIDENT,
            Purpose.DESK_INQUIRY,
            Purpose.LEGAL_ORDER,
        ],
        views_footage=True,
        second_factor=True,
    ),
    Role.SECURITY_GUARD: _rights(
        _ALL_STAFF,
        _INCIDENTS,
        _FOOTAGE,
        operations=[Purpose.INCIDENT, Purpose.DESK_INQUIRY, Purpose.LEGAL_ORDER],
        views_footage=True,
        second_factor=True,
    ),
    # IT staff keep the cameras and the recorder running (CAM-1, CAM-3), and enrol
    # staff authenticators and revoke recovery codes (library.authenticators).
    Role.IT_STAFF: _rights(
        _ALL_STAFF,
        _CAMERAS,
        ("facilities.view_recording",),
        operations=[Purpose.COMPUTER_SERVICES, Purpose.LEGAL_ORDER],
        views_footage=True,
        second_factor=True,
        duties=[Duty.MANAGE_LOGINS],
    ),
    # The director decides every release (CAM-5, CAM-6), reviews legal orders
    # (CONF-5) and contracts agents (CONF-7); the recordings list lets them name
    # the footage to release, though they do not watch it (CAM-3).
    Role.DIRECTOR: _rights(
        _DESK,
        _CATALOGUE,
        _ALL_STAFF,
        _INCIDENTS,
        _STATISTICS,
        (
            "library.add_branch",
            "library.change_branch",
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
            "privacy.add_contractedagent",
        ),
        operations=[
            *_DESK_OPERATIONS,
            Purpose.INCIDENT,
            Purpose.ORDER_REVIEW,
            Purpose.DESK_INQUIRY,
            Purpose.LEGAL_ORDER,
        ],
        releases_footage=True,
        second_factor=True,
    ),
    Role.AUDITOR: _rights(
        ("library.view_branch", "audit.view_auditentry", "facilities.view_still"),
        operations=[Purpose.AUDIT, Purpose.LEGAL_ORDER],
        second_factor=True,
    ),
}

# A staff page or menu item serves an operation, does a duty or needs a model permission.
Requirement = Purpose | Duty | str


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


def roles_performing(operation: Purpose) -> frozenset[Role]:
    """Return the roles that perform a library operation (CONF-3)."""
    return frozenset(role for role, rights in ROLES.items() if operation in rights.operations)


def roles_may(roles: Iterable[Role], requirement: Requirement) -> bool:
    """Return True if one of these roles performs the operation or holds the permission."""
    if isinstance(requirement, Purpose):
        return any(requirement in ROLES[role].operations for role in roles)
    if isinstance(requirement, Duty):
        return any(requirement in ROLES[role].duties for role in roles)
    return any(requirement in ROLES[role].permissions for role in roles)


def may(user: Any, requirement: Requirement) -> bool:
    """Return True if one of the user's roles meets the requirement (a page, a button, a form)."""
    return roles_may(roles_of(user), requirement)


def views_footage(roles: Iterable[Role]) -> bool:
    """Return True if one of these roles is designated to view footage (CAM-3)."""
    return any(ROLES[role].views_footage for role in roles)


def releases_footage(roles: Iterable[Role]) -> bool:
    """Return True if one of these roles decides releases of footage (CAM-5, CAM-6)."""
    return any(ROLES[role].releases_footage for role in roles)


# The reason the audit trail gives for a role's permissions set by roles_sync.
ROLES_SYNCED = "Brought in step with the role table (library/roles.py)."


def roles_sync() -> dict[str, int]:
    """Create each role's group and give it exactly its model permissions from the table.

    Each role whose permissions change appends one audit entry naming those
    added and removed; a role already in step appends none.
    """
    from auditlog.context import disable_auditlog
    from django.contrib.auth.models import Group, Permission

    counts = {"groups": 0, "permissions": 0}
    with transaction.atomic():
        for role, rights in ROLES.items():
            group, _ = Group.objects.get_or_create(name=role.group_name)
            by_app: dict[str, list[str]] = {}
            for dotted in rights.permissions:
                app_label, codename = dotted.split(".", 1)
                by_app.setdefault(app_label, []).append(codename)
            permissions = [
                permission
                for app_label, codenames in by_app.items()
                for permission in Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            ]
            had = set(group.permissions.all())
            if had != set(permissions):
                # One entry for the role below, rather than one per permission.
                with disable_auditlog():
                    group.permissions.set(permissions)
                _record_role_sync(
                    role, group, added=set(permissions) - had, removed=had - set(permissions)
                )
            counts["groups"] += 1
            counts["permissions"] += len(permissions)
    return counts


def _record_role_sync(role: Role, group: Any, *, added: set[Any], removed: set[Any]) -> None:
    # Written with django-auditlog's entry API: the trail's own package builds
    # on this one, so it cannot be imported here.
    from auditlog import get_logentry_model

    entry_model = get_logentry_model()
    entry_model.objects.log_create(
        group,
        action=entry_model.Action.UPDATE,
        changes={
            "permissions": {
                "type": "m2m",
                "operation": "sync",
                "added": sorted(str(permission) for permission in added),
                "removed": sorted(str(permission) for permission in removed),
            }
        },
        additional_data={"reason": ROLES_SYNCED, "role": role.value},
    )


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Keep the role groups in step with the table after every migrate."""
    from django.apps import apps

    # post_migrate is sent once per app that has models, and each app's
    # permissions are made in its own turn: wait for the last such app so every
    # permission exists.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        roles_sync()
