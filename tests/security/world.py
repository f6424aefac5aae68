"""One small library with one user of every kind and one record of every kind.

The security tests request every URL of the project as every kind of user;
this builds, once per test module, the people and records those URLs need, and
gives each kind a signed-in session. `shared_world` keeps it inside one
transaction that is rolled back when the module ends, and `isolated` rolls
back each request's writes, so every request sees the same world.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry
from circulation.models import Item
from facilities.models import RecordingHold
from library.models import StaffProfile
from library.roles import Role
from patrons.models import PatronBlock
from privacy.models import LegalOrderRelease
from tests.conftest import StaffClient
from tests.factories import (
    BanFactory,
    BranchFactory,
    CameraFactory,
    ComputerSessionFactory,
    ConsentFactory,
    ContractedAgentFactory,
    EventFactory,
    EventSignupFactory,
    FineFactory,
    FootageOrderScopeFactory,
    FoundItemFactory,
    HoldFactory,
    IdentityCheckFactory,
    IncidentFactory,
    IncidentPersonFactory,
    ItemFactory,
    LegalOrderFactory,
    LoanFactory,
    LoanRuleFactory,
    MinorFactory,
    OutsideRequestFactory,
    PatronFactory,
    ReadingHistoryEntryFactory,
    RecordingFactory,
    ReferenceConsultationFactory,
    ResponsibleAdultFactory,
    StillFactory,
    UserFactory,
)

# The kinds of user, in the order of the matrix's columns.
ANON, ALICE, BOB, CAROL = "anon", "alice", "bob", "carol"
CIRC, REF, PIC, GUARD, IT, DIR, AUD = "circ", "ref", "pic", "guard", "it", "dir", "aud"
AGENT, ROOT = "agent", "root"
KINDS = (ANON, ALICE, BOB, CAROL, CIRC, REF, PIC, GUARD, IT, DIR, AUD, AGENT, ROOT)
ROLE_OF_KIND = {
    CIRC: Role.CIRCULATION,
    REF: Role.REFERENCE,
    PIC: Role.PERSON_IN_CHARGE,
    GUARD: Role.SECURITY_GUARD,
    IT: Role.IT_STAFF,
    DIR: Role.DIRECTOR,
    AUD: Role.AUDITOR,
}
assert set(ROLE_OF_KIND.values()) == set(Role), "a new role needs a column in the matrix"

PASSWORD = "correct-horse-battery"
MISSING_ID = 987_654_321


@dataclass(repr=False)
class World:
    users: dict[str, User | None]
    sessions: dict[str, str]  # kind -> session key ("" for anonymous)
    objects: dict[str, Any] = field(default_factory=dict)
    _clients: dict[str, Client] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "World()"

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None

    def client(self, kind: str) -> Client:
        """Return this kind's client carrying only its session (no cookies left over)."""
        client = self._clients.get(kind)
        if client is None:
            client = self._clients[kind] = Client(raise_request_exception=False)
        client.cookies.clear()
        if self.sessions[kind]:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[kind]
        return client


def _session_for(user: User) -> str:
    client = StaffClient()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def build_world() -> World:
    """Create one of everything the project's URLs name, and sign every kind in."""
    branch = BranchFactory(code="CEN", name="Central Library")
    LoanRuleFactory()
    staff = {
        kind: UserFactory(username=role.value, role=role) for kind, role in ROLE_OF_KIND.items()
    }
    for user in staff.values():
        StaffProfile.objects.create(user=user, branch=branch)
    alice = PatronFactory(
        user=UserFactory(username="alice"),
        first_name="Alice",
        last_name="Archer",
        email="alice.archer@example.org",
        card_number="21000000000101",
        keeps_reading_history=True,
        home_branch=branch,
    )
    bob = PatronFactory(
        user=UserFactory(username="bob"),
        first_name="Bob",
        last_name="Baker",
        email="bob.baker@example.org",
        card_number="21000000000202",
        home_branch=branch,
    )
    carol = PatronFactory(
        user=UserFactory(username="carol"),
        first_name="Carol",
        last_name="Carter",
        email="carol.carter@example.org",
        card_number="21000000000303",
        home_branch=branch,
    )
    dan = MinorFactory(
        first_name="Dan", last_name="Carter", card_number="21000000000404", home_branch=branch
    )
    listing = ResponsibleAdultFactory(minor=dan, adult=carol)
    # A patron whose card is blocked, for the page that ends a block.
    blocked_patron = PatronFactory(
        first_name="Erin", last_name="Eastman", card_number="21000000000505", home_branch=branch
    )
    PatronBlock.objects.create(patron=blocked_patron, reason="Card reported stolen")
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    agent = ContractedAgentFactory(user=UserFactory(username="agent"))
    assign_perm("patrons.disclose_as_agent", agent.user, alice)

    item_out = ItemFactory(branch=branch, title="Out on loan")
    item_held = ItemFactory(branch=branch, title="On the shelf")
    loan = LoanFactory(item=item_out, patron=alice)
    hold = HoldFactory(item=item_held, patron=alice)
    fine = FineFactory(patron=alice, loan=loan)
    history_entry = ReadingHistoryEntryFactory(patron=alice, item=item_held)
    item_shelf = ItemFactory(branch=branch, title="Free to hold")
    found = FoundItemFactory(branch=branch, owner=alice, matched_at=timezone.now())
    session = ComputerSessionFactory(patron=alice, branch=branch, ended_at=None)
    ReferenceConsultationFactory(patron=alice, branch=branch)
    event = EventFactory(branch=branch)
    signup = EventSignupFactory(event=event, patron=alice)
    consent = ConsentFactory(patron=alice)
    check = IdentityCheckFactory(patron=alice, checked_by=staff[CIRC])

    order = LegalOrderFactory(
        patrons=[alice], received_by=staff[DIR], categories=["identity", "circulation"]
    )
    order.workers.add(staff[DIR])
    assign_perm("patrons.disclose_under_order", staff[DIR], alice)
    release = LegalOrderRelease.objects.create(
        order=order, patron=alice, category="circulation", released_by=staff[DIR], records=1
    )

    incident = IncidentFactory(branch=branch, reported_by=staff[GUARD])
    person = IncidentPersonFactory(incident=incident, patron=alice)
    ban = BanFactory(person=person, created_by=staff[PIC])
    camera = CameraFactory(branch=branch)
    recording = RecordingFactory(camera=camera)
    still = StillFactory(incident=incident, recording=recording, ban=ban, created_by=staff[GUARD])
    recording_hold = RecordingHold.objects.create(
        recording=recording, incident=incident, placed_by=staff[GUARD]
    )
    scope = FootageOrderScopeFactory(order=order, cameras=[camera], added_by=staff[DIR])
    outside = OutsideRequestFactory(recorded_by=staff[CIRC])

    attempt = {"user_agent": "test", "ip_address": "10.0.0.9", "username": "h:0", "path_info": "/"}
    access_attempt = AccessAttempt.objects.create(
        **attempt, http_accept="*/*", get_data="", post_data="", failures_since_start=1
    )
    access_log = AccessLog.objects.create(**attempt, http_accept="*/*")
    failure_log = AccessFailureLog.objects.create(**attempt, http_accept="*/*")

    users: dict[str, User | None] = {
        ANON: None,
        ALICE: alice.user,
        BOB: bob.user,
        CAROL: carol.user,
        **staff,
        AGENT: agent.user,
        ROOT: root,
    }
    sessions = {kind: _session_for(user) if user else "" for kind, user in users.items()}
    world = World(users=users, sessions=sessions)
    for kind in KINDS:
        # A first page, as after signing in: starts each staff session's idle
        # timer, so the requests that follow (each rolled back) need not.
        world.client(kind).get("/")
    entry = AuditEntry.objects.order_by("seq").first()
    objects = {
        "branch": branch,
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "dan": dan,
        "listing": listing,
        "blocked_patron": blocked_patron,
        "agent": agent,
        "item_out": item_out,
        "item_held": item_held,
        "loan": loan,
        "hold": hold,
        "history_entry": history_entry,
        "item_shelf": item_shelf,
        "fine": fine,
        "found": found,
        "session": session,
        "event": event,
        "signup": signup,
        "consent": consent,
        "check": check,
        "order": order,
        "release": release,
        "incident": incident,
        "ban": ban,
        "camera": camera,
        "recording": recording,
        "still": still,
        "outside": outside,
        "reset_uid": urlsafe_base64_encode(force_bytes(alice.user.pk)),
        # One record per admin screen, by "app_label.model".
        "admin": {
            "auth.group": Group.objects.get(name=Role.CIRCULATION.group_name),
            "auth.user": alice.user,
            "axes.accessattempt": access_attempt,
            "axes.accesslog": access_log,
            "axes.accessfailurelog": failure_log,
            "otp_totp.totpdevice": TOTPDevice.objects.get(user=staff[DIR]),
            "library.branch": branch,
            "library.staffprofile": StaffProfile.objects.get(user=staff[CIRC]),
            "patrons.patron": alice,
            "patrons.responsibleadult": listing,
            "privacy.identitycheck": check,
            "privacy.consent": consent,
            "circulation.loanrule": LoanRuleFactory(),
            "circulation.item": item_out,
            "circulation.bibliographicrecord": item_out.record,
            "circulation.loan": loan,
            "circulation.hold": hold,
            "circulation.fine": fine,
            "audit.auditentry": entry,
            "facilities.camera": camera,
            "facilities.footageorderscope": scope,
            "facilities.recordinghold": recording_hold,
        },
        "item_type": ContentType.objects.get_for_model(Item),
    }
    world.objects = objects
    return world


@contextmanager
def isolated() -> Iterator[None]:
    """Roll back whatever the block writes; marked as a test's own block for the gate's check."""
    atomic = transaction.atomic()
    atomic._from_testcase = True  # type: ignore[attr-defined]  # see privacy.access
    with atomic:
        yield
        transaction.set_rollback(True)


@contextmanager
def shared_world(django_db_blocker: Any, media_root: Any) -> Iterator[World]:
    """Build the world inside a transaction kept open for a test module, then roll it back."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media_root,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
