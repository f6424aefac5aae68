"""Demonstration data for a first run: realistic, deterministic and safe to load twice.

Everything is keyed by a natural key (branch code, card number, barcode, user
name), so a second run finds what the first made and adds nothing.
"""

import datetime
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from activity.models import ComputerSession, Event, EventSignup, ReferenceConsultation
from circulation import services
from circulation.catalogue import isbn13_check
from circulation.models import (
    BibliographicRecord,
    CirculationDay,
    Fine,
    FoundItem,
    Hold,
    Item,
    ItemType,
    Loan,
    LoanRule,
    ReadingHistoryEntry,
)
from facilities import services as facilities
from facilities.footage_import import MANIFEST_NAME
from facilities.models import Camera, Incident
from library.models import Branch, StaffProfile
from library.roles import Role
from patrons.models import Patron, ResponsibleAdult

PATRON_COUNT = 200
ITEM_COUNT = 2000
TITLE_COUNT = 1400  # the first 1,400 items are one copy of each; the rest are extra copies
PUBLISHERS = ["Riverbend Press", "Northgate Books", "Harbour & Hill", "Lantern House"]
SHELVING_LOCATIONS = ["Adult fiction", "Adult non-fiction", "Children's", "Young adult", "Media"]
CARD_PREFIX = "2900"
BARCODE_PREFIX = "3900"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    description: str
    role: Role | None = None
    card_number: str = ""
    branch: str = ""  # a staff login's branch code: every staff read records where it was made


def card_number(index: int) -> str:
    return f"{CARD_PREFIX}{index:010d}"


def barcode(index: int) -> str:
    return f"{BARCODE_PREFIX}{index:010d}"


def demo_isbn(index: int) -> str:
    """Return a well-formed ISBN-13 in the 979-0 range, which no real book has."""
    first12 = f"9790{index:08d}"
    return first12 + isbn13_check(first12)


ALICE, BOB, CAROL, DAN = card_number(1), card_number(2), card_number(3), card_number(4)

DEMO_LOGINS = [
    DemoLogin("desk", "desk-demo-2026", "Circulation staff", Role.CIRCULATION, branch="CEN"),
    DemoLogin(
        "reference", "reference-demo-2026", "Reference librarian", Role.REFERENCE, branch="NTH"
    ),
    DemoLogin(
        "incharge", "incharge-demo-2026", "Person in charge", Role.PERSON_IN_CHARGE, branch="WST"
    ),
    DemoLogin("guard", "guard-demo-2026", "Security guard", Role.SECURITY_GUARD, branch="CEN"),
    DemoLogin("itstaff", "itstaff-demo-2026", "IT staff", Role.IT_STAFF, branch="CEN"),
    DemoLogin("director", "director-demo-2026", "Library director", Role.DIRECTOR, branch="CEN"),
    DemoLogin("auditor", "auditor-demo-2026", "Auditor", Role.AUDITOR, branch="CEN"),
    DemoLogin(
        "alice", "alice-demo-2026", f"Patron {ALICE}, keeps reading history", card_number=ALICE
    ),
    DemoLogin("bob", "bob-demo-2026", f"Patron {BOB}", card_number=BOB),
    DemoLogin(
        "carol", "carol-demo-2026", f"Patron {CAROL}, responsible adult of Dan", card_number=CAROL
    ),
]

BRANCHES = [
    ("CEN", "Central Library", "707 Vermont St"),
    ("NTH", "North Branch", "1200 N 3rd St"),
    ("WST", "West Branch", "4800 Bauer Farm Dr"),
]

LOAN_RULES = {
    ItemType.BOOK: (21, 2, "0.25", "10.00"),
    ItemType.AUDIOBOOK: (21, 2, "0.25", "10.00"),
    ItemType.DVD: (7, 1, "1.00", "15.00"),
    ItemType.MAGAZINE: (7, 0, "0.10", "2.00"),
    ItemType.DEVICE: (14, 0, "5.00", "100.00"),
}

FIRST_NAMES = [
    "Avery",
    "Jordan",
    "Maya",
    "Liam",
    "Noah",
    "Olivia",
    "Emma",
    "Elijah",
    "Sofia",
    "Mateo",
    "Amara",
    "Kenji",
    "Priya",
    "Diego",
    "Hannah",
    "Isaac",
    "Leila",
    "Marcus",
    "Nora",
    "Omar",
    "Ruth",
    "Samuel",
    "Tariq",
    "Uma",
    "Victor",
    "Wren",
    "Xavier",
    "Yara",
    "Zoe",
    "Grace",
]
LAST_NAMES = [
    "Adams",
    "Baptiste",
    "Chen",
    "Delgado",
    "Eriksen",
    "Fofana",
    "Garcia",
    "Haddad",
    "Ito",
    "Johansson",
    "Kowalski",
    "Lee",
    "Martinez",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umarov",
    "Varga",
    "Williams",
    "Xu",
    "Yilmaz",
    "Zimmerman",
]
STREETS = [
    "Massachusetts St",
    "Kentucky St",
    "Louisiana St",
    "Iowa St",
    "Clinton Pkwy",
    "Haskell Ave",
]
TITLE_WORDS = [
    "River",
    "Garden",
    "Winter",
    "Lantern",
    "Prairie",
    "Harbor",
    "Orchard",
    "Comet",
    "Atlas",
    "Meadow",
    "Archive",
    "Signal",
    "Compass",
    "Thunder",
    "Willow",
    "Mirror",
    "Ember",
    "Tide",
]
TITLE_ADJECTIVES = [
    "Quiet",
    "Hidden",
    "Last",
    "Silver",
    "Restless",
    "Distant",
    "Small",
    "Burning",
    "Patient",
    "Northern",
    "Borrowed",
    "Secret",
    "Golden",
    "Broken",
    "Wandering",
]


@transaction.atomic
def seed_demo(*, progress: Callable[[str], None] = lambda text: None) -> dict[str, int]:
    """Load the demonstration data set, creating only what is not there yet."""
    rng = random.Random(1871)
    today = timezone.localdate()
    created: dict[str, int] = {}

    branches = {}
    for code, name, address in BRANCHES:
        branches[code], made = Branch.objects.get_or_create(
            code=code, defaults={"name": name, "address": address}
        )
        created["branches"] = created.get("branches", 0) + int(made)
    for item_type, (days, renewals, per_day, cap) in LOAN_RULES.items():
        LoanRule.objects.get_or_create(
            item_type=item_type,
            defaults={
                "loan_days": days,
                "renewal_limit": renewals,
                "fine_per_day": Decimal(per_day),
                "max_fine": Decimal(cap),
            },
        )

    progress("patrons")
    patrons = _seed_patrons(rng, today, list(branches.values()), created)
    progress("responsible adults")
    _seed_responsible_adults(rng, patrons, created)
    progress("items")
    items = _seed_items(rng, list(branches.values()), created)
    progress("logins")
    _seed_logins(patrons, branches, created)
    if not Loan.objects.filter(item__barcode__startswith=BARCODE_PREFIX).exists():
        progress("loans, holds and fines")
        _seed_circulation(rng, today, patrons, items, created)
    if not Event.objects.filter(title=EVENTS[0][0]).exists():
        progress("events, computer sessions, reference questions, found items")
        _seed_activity(rng, patrons, list(branches.values()), created)
    progress("cameras, recordings, an incident with a ban and stills")
    cameras = _seed_cameras(branches, created)
    if not Incident.objects.filter(description=INCIDENT_DESCRIPTION).exists():
        _seed_footage(cameras, created)
    return {name: count for name, count in created.items() if count}


def _seed_patrons(
    rng: random.Random, today: datetime.date, branches: list[Branch], created: dict[str, int]
) -> list[Patron]:
    personas = {
        ALICE: ("Alice", "Archer", datetime.date(1986, 4, 12), True),
        BOB: ("Bob", "Baker", datetime.date(1979, 9, 3), False),
        CAROL: ("Carol", "Carter", datetime.date(1983, 1, 22), False),
        DAN: (
            "Dan",
            "Carter",
            today.replace(year=today.year - 10) - datetime.timedelta(days=40),
            False,
        ),
    }
    existing = set(
        Patron.objects.filter(card_number__startswith=CARD_PREFIX).values_list(
            "card_number", flat=True
        )
    )
    new = []
    for index in range(1, PATRON_COUNT + 1):
        number = card_number(index)
        if number in personas:
            first, last, born, keeps_history = personas[number]
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            is_minor = rng.random() < 0.25
            age_days = (
                rng.randint(5 * 365, 17 * 365) if is_minor else rng.randint(18 * 366, 85 * 365)
            )
            born = today - datetime.timedelta(days=age_days)
            keeps_history = not is_minor and rng.random() < 0.2
        street_number = rng.randint(100, 4999)
        if number in existing:
            continue
        new.append(
            Patron(
                card_number=number,
                first_name=first,
                last_name=last,
                address_line=f"{street_number} {rng.choice(STREETS)}",
                city="Lawrence",
                postal_code=rng.choice(["66044", "66046", "66047", "66049"]),
                phone=f"785-555-{rng.randint(0, 9999):04d}",
                email=f"{first.lower()}.{last.lower()}{index}@example.org",
                date_of_birth=born,
                home_branch=rng.choice(branches),
                registered_on=today - datetime.timedelta(days=rng.randint(30, 3000)),
                card_expires_on=today + datetime.timedelta(days=rng.randint(-60, 1000)),
                status=Patron.Status.ACTIVE,
                keeps_reading_history=keeps_history,
            )
        )
    for patron in new:
        if patron.card_number in personas:
            # The personas have been members long enough for a history to show.
            patron.registered_on = today - datetime.timedelta(days=800)
            patron.card_expires_on = today + datetime.timedelta(days=700)
        elif patron.card_expires_on < today:
            patron.status = Patron.Status.EXPIRED
        if patron.keeps_reading_history:
            # Opted in when they registered: their history starts no earlier (CONF-9).
            patron.reading_history_changed_at = timezone.make_aware(
                datetime.datetime.combine(patron.registered_on, datetime.time.min)
            )
    Patron.objects.bulk_create(new)
    created["patrons"] = len(new)
    return list(Patron.objects.filter(card_number__startswith=CARD_PREFIX).order_by("card_number"))


def _seed_responsible_adults(
    rng: random.Random, patrons: list[Patron], created: dict[str, int]
) -> None:
    by_card = {patron.card_number: patron for patron in patrons}
    adults = [patron for patron in patrons if not patron.is_minor and patron.card_number != ALICE]
    listed = set(
        ResponsibleAdult.objects.filter(minor__in=patrons).values_list("minor_id", flat=True)
    )
    new = []
    for minor in (patron for patron in patrons if patron.is_minor):
        if minor.pk in listed:
            continue
        if minor.card_number == DAN:
            new.append(ResponsibleAdult(minor=minor, adult=by_card[CAROL], relationship="parent"))
            continue
        if rng.random() < 0.6:
            new.append(
                ResponsibleAdult(minor=minor, adult=rng.choice(adults), relationship="parent")
            )
        else:
            name = f"{rng.choice(FIRST_NAMES)} {minor.last_name}"
            new.append(ResponsibleAdult(minor=minor, adult_name=name, relationship="guardian"))
        if rng.random() < 0.3:
            name = f"{rng.choice(FIRST_NAMES)} {minor.last_name}"
            new.append(ResponsibleAdult(minor=minor, adult_name=name, relationship="grandparent"))
    ResponsibleAdult.objects.bulk_create(new)
    created["responsible adults"] = len(new)


def _seed_items(rng: random.Random, branches: list[Branch], created: dict[str, int]) -> list[Item]:
    existing = set(
        Item.objects.filter(barcode__startswith=BARCODE_PREFIX).values_list("barcode", flat=True)
    )
    types = (
        [ItemType.BOOK] * 14 + [ItemType.AUDIOBOOK] * 2 + [ItemType.DVD] * 3 + [ItemType.MAGAZINE]
    )
    # About one title in three has more than one copy, as in a public library.
    records: list[BibliographicRecord] = []
    for index in range(TITLE_COUNT):
        title = f"The {rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_WORDS)}"
        if rng.random() < 0.4:
            title += f" of {rng.choice(TITLE_WORDS)}"
        records.append(
            BibliographicRecord(
                title=title,
                authors=f"{rng.choice(LAST_NAMES)}, {rng.choice(FIRST_NAMES)}",
                isbn=demo_isbn(index),
                publisher=rng.choice(PUBLISHERS),
                publication_year=rng.randint(1960, 2026),
            )
        )
    new = []
    made_records: dict[int, BibliographicRecord] = {}
    for index in range(1, ITEM_COUNT + 1):
        title_index = index % TITLE_COUNT if index <= TITLE_COUNT else rng.randrange(TITLE_COUNT)
        item_type = ItemType.DEVICE if index % 250 == 0 else rng.choice(types)
        if barcode(index) in existing:
            continue
        record = made_records.get(title_index)
        if record is None:
            record = records[title_index]
            record.save()
            made_records[title_index] = record
        branch = rng.choice(branches)
        surname = record.authors.split(",")[0]
        new.append(
            Item(
                barcode=barcode(index),
                record=record,
                call_number=f"{rng.randint(100, 999)}.{rng.randint(10, 99)} {surname[:3].upper()}",
                shelving_location=rng.choice(SHELVING_LOCATIONS),
                item_type=item_type,
                branch=branch,
                current_branch=branch,
            )
        )
    Item.objects.bulk_create(new)
    created["bibliographic records"] = len(made_records)
    created["items"] = len(new)
    return list(Item.objects.filter(barcode__startswith=BARCODE_PREFIX).order_by("barcode"))


def _seed_logins(
    patrons: list[Patron], branches: dict[str, Branch], created: dict[str, int]
) -> None:
    by_card = {patron.card_number: patron for patron in patrons}
    made = 0
    for login in DEMO_LOGINS:
        user, is_new = User.objects.get_or_create(
            username=login.username, defaults={"is_staff": login.role is not None}
        )
        if is_new:
            user.set_password(login.password)
            user.save(update_fields=["password"])
            made += 1
        if login.role is not None:
            user.groups.add(Group.objects.get(name=login.role.group_name))
            StaffProfile.objects.get_or_create(
                user=user, defaults={"branch": branches[login.branch]}
            )
        if login.card_number:
            patron = by_card[login.card_number]
            if patron.user_id is None:
                Patron.objects.filter(pk=patron.pk).update(user=user)
            # A patron's login keeps no copy of their identity: password reset
            # reads the address from the patron record.
            if user.email or user.first_name or user.last_name:
                user.email = user.first_name = user.last_name = ""
                user.save(update_fields=["email", "first_name", "last_name"])
    created["logins"] = made


def _seed_circulation(
    rng: random.Random,
    today: datetime.date,
    patrons: list[Patron],
    items: list[Item],
    created: dict[str, int],
) -> None:
    """Make loans, fines, holds and daily counts as the desk's services would have left them.

    Written in bulk for speed, with the services' own rules: due at the end of
    a day (due_at_for), returned loans cut to the day and anonymised unless a
    fine on them is unpaid (CONF-9), fines per loan rule and capped, history
    only for patrons who opted in, anonymous daily counts.
    """
    now = timezone.now()
    rules = {rule.item_type: rule for rule in LoanRule.objects.all()}
    active = [patron for patron in patrons if patron.status == Patron.Status.ACTIVE]
    shuffled = items[:]
    rng.shuffle(shuffled)
    out_items, shelf_items = shuffled[:300], shuffled[300:]

    by_card = {patron.card_number: patron for patron in patrons}
    # The personas get known loans so the walk-through in the README works.
    chosen = [by_card[ALICE]] * 3 + [by_card[DAN]] * 2 + [by_card[BOB], by_card[CAROL]]

    loans, history, fines = [], [], []
    counts: dict[tuple[datetime.date, int, str, str], list[int]] = {}

    def count(day: datetime.date, item: Item, patron: Patron, index: int) -> None:
        key = (day, item.branch_id, item.item_type, services.patron_category(patron, day))
        counts.setdefault(key, [0, 0, 0])[index] += 1

    borrower: dict[int, int] = {}
    # Current loans; about one in six is overdue.
    for index, item in enumerate(out_items):
        patron = chosen[index] if index < len(chosen) else rng.choice(active)
        days = rules[item.item_type].loan_days
        taken = now - datetime.timedelta(days=rng.randint(0, days + 10), hours=rng.randint(0, 8))
        loans.append(
            Loan(
                item=item,
                patron=patron,
                branch=item.branch,
                checked_out_at=taken,
                due_at=services.due_at_for(taken, days),
            )
        )
        borrower[item.pk] = patron.pk
        count(timezone.localdate(taken), item, patron, 0)
    # Returned loans: cut to the day and anonymised at once unless a fine on
    # them is unpaid (CONF-9); remembered only for patrons who opted in.
    for index, item in enumerate(rng.sample(shelf_items, 1200)):
        patron = by_card[ALICE] if index < 8 else rng.choice(active)
        rule = rules[item.item_type]
        taken = now - datetime.timedelta(days=rng.randint(25, 400))
        due = services.due_at_for(taken, rule.loan_days)
        late = rng.random() < 0.03
        returned = (
            due + datetime.timedelta(days=rng.randint(1, 12))
            if late
            else due - datetime.timedelta(days=2)
        )
        loan = Loan(
            item=item,
            patron=patron if late else None,
            branch=item.branch,
            checked_out_at=services.day_start(taken),
            due_at=services.day_start(due),
            returned_at=services.day_start(returned),
        )
        loans.append(loan)
        count(timezone.localdate(taken), item, patron, 0)
        count(timezone.localdate(returned), item, patron, 2)
        if late:
            days_late = (timezone.localdate(returned) - timezone.localdate(due)).days
            amount = min(rule.fine_per_day * days_late, rule.max_fine)
            fines.append((loan, patron, amount, services.day_start(returned)))
        opted_in_at = patron.reading_history_changed_at
        if patron.keeps_reading_history and opted_in_at and loan.checked_out_at >= opted_in_at:
            history.append(
                ReadingHistoryEntry(
                    patron=patron,
                    item=item,
                    title=item.record.title,
                    author=item.record.authors,
                    checked_out_on=timezone.localdate(taken),
                    returned_on=timezone.localdate(returned),
                )
            )
    Loan.objects.bulk_create(loans)
    ReadingHistoryEntry.objects.bulk_create(history)
    CirculationDay.objects.bulk_create(
        [
            CirculationDay(
                day=day,
                branch_id=branch_id,
                item_type=item_type,
                patron_category=category,
                checkouts=checkouts,
                renewals=renewals,
                returns=returns,
            )
            for (day, branch_id, item_type, category), (checkouts, renewals, returns) in sorted(
                counts.items()
            )
        ]
    )
    Fine.objects.bulk_create(
        [
            Fine(
                patron=patron,
                loan=loan,
                reason=Fine.Reason.OVERDUE,
                amount=max(amount, Decimal("0.25")),
                created_at=charged,
            )
            for loan, patron, amount, charged in fines
        ]
        + [
            # Paid long ago: a settled fine keeps no patron (CONF-9).
            Fine(
                reason=Fine.Reason.DAMAGED,
                amount=Decimal("5.00"),
                created_at=now - datetime.timedelta(days=90),
                paid_at=now - datetime.timedelta(days=80),
            )
            for _ in range(15)
        ]
    )
    Item.objects.filter(pk__in=[item.pk for item in out_items]).update(status=Item.Status.ON_LOAN)
    holds = _seed_holds(rng, today, now, active, out_items, shelf_items, borrower)
    created["loans"] = len(loans)
    created["reading history entries"] = len(history)
    created["fines"] = len(fines) + 15
    created["holds"] = len(holds)


def _seed_holds(
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime,
    active: list[Patron],
    out_items: list[Item],
    shelf_items: list[Item],
    borrower: dict[int, int],
) -> list[Hold]:
    """Holds in every state the desk sees: waiting behind loans, on a pull list, in transit, ready.

    Each as the services leave it: a waiting hold is on the title; a copy in
    transit or on the hold shelf says so and where it is (CONF-9 keeps only live holds).
    """
    by_record: dict[int, set[int]] = {}  # patrons already holding or borrowing a title
    for item in out_items:
        by_record.setdefault(item.record_id, set()).add(borrower[item.pk])
    on_shelf_records = {item.record_id for item in shelf_items}
    holds: list[Hold] = []
    trapped: list[tuple[Item, str, Branch]] = []

    def hold(record_id: int, status: str, item: Item | None = None) -> Hold | None:
        taken = by_record.setdefault(record_id, set())
        holder = rng.choice(active)
        if holder.pk in taken:
            return None
        taken.add(holder.pk)
        made = Hold(
            record_id=record_id,
            item=item,
            patron=holder,
            pickup_branch=holder.home_branch,
            status=status,
            ready_until=today + datetime.timedelta(days=5) if status == Hold.Status.READY else None,
            placed_at=now - datetime.timedelta(days=rng.randint(1, 20)),
        )
        holds.append(made)
        return made

    # Waiting behind copies that are out (titles with no copy on a shelf).
    for item in rng.sample(out_items, 48):
        if item.record_id not in on_shelf_records:
            hold(item.record_id, Hold.Status.WAITING)
    pool = rng.sample(shelf_items, 30)
    # On a branch's pull list: waiting for a copy on a shelf to be scanned.
    for item in pool[:8]:
        hold(item.record_id, Hold.Status.WAITING)
    # Ready on the hold shelf, and in transit to the pickup branch.
    for item in pool[8:20]:
        made = hold(item.record_id, Hold.Status.READY, item)
        if made is not None:
            trapped.append((item, Item.Status.ON_HOLD_SHELF, made.pickup_branch))
    for item in pool[20:26]:
        made = hold(item.record_id, Hold.Status.IN_TRANSIT, item)
        if made is not None and made.pickup_branch_id != item.current_branch_id:
            trapped.append((item, Item.Status.IN_TRANSIT, made.pickup_branch))
        elif made is not None:
            holds.remove(made)
    Hold.objects.bulk_create(holds)
    for item, status, pickup in trapped:
        if status == Item.Status.ON_HOLD_SHELF:
            item.current_branch = pickup
        else:
            item.transit_to = pickup
        item.status = status
        item.save(update_fields=["status", "current_branch", "transit_to"])
    return holds


EVENTS = [
    ("Toddler story time", 3, 1),
    ("Resume workshop", 10, 2),
    ("Local history talk", 17, 2),
]
REFERENCE_QUESTIONS = [
    ("Where are the tax forms?", "At the information desk in the lobby."),
    ("Do you have books on beekeeping?", "Yes, 638.1 on the second floor."),
    ("How do I use the online newspaper archive?", "Showed how to sign in with a card."),
]


def _seed_activity(
    rng: random.Random,
    patrons: list[Patron],
    branches: list[Branch],
    created: dict[str, int],
) -> None:
    """Make a few events, sign-ups, computer sessions, reference questions and found items.

    All recent, so the retention purge has nothing to delete straight after seeding.
    """
    now = timezone.now()
    active = [patron for patron in patrons if patron.status == Patron.Status.ACTIVE]
    events = []
    for title, in_days, hours in EVENTS:
        starts = now + datetime.timedelta(days=in_days)
        events.append(
            Event(
                title=title,
                branch=branches[0],
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=hours),
                capacity=25,
            )
        )
    events.append(
        Event(title="Monthly newsletter", kind=Event.Kind.COMMUNICATION, branch=branches[0])
    )
    Event.objects.bulk_create(events)
    signups = [
        EventSignup(event=event, patron=patron)
        for event in events
        for patron in rng.sample(active, 8)
    ]
    EventSignup.objects.bulk_create(signups)
    sessions = [
        ComputerSession(
            resource=f"PC-{index + 1:02d}",
            patron=rng.choice(active),
            branch=branches[index % len(branches)],
            started_at=now - datetime.timedelta(hours=3, minutes=index * 7),
            ended_at=now - datetime.timedelta(hours=2, minutes=index * 7),
        )
        for index in range(10)
    ]
    ComputerSession.objects.bulk_create(sessions)
    consultations = [
        ReferenceConsultation(
            channel=rng.choice(list(ReferenceConsultation.Channel)),
            patron=rng.choice(active) if index % 2 else None,
            branch=branches[0],
            asked_at=now - datetime.timedelta(days=index, hours=2),
            question=question,
            answer=answer,
        )
        for index, (question, answer) in enumerate(REFERENCE_QUESTIONS)
    ]
    ReferenceConsultation.objects.bulk_create(consultations)
    FoundItem.objects.bulk_create(
        [
            FoundItem(
                kind=FoundItem.Kind.LIBRARY_CARD,
                description="Library card left at the self-check machine",
                branch=branches[0],
                found_at=now - datetime.timedelta(hours=5),
            ),
            FoundItem(
                kind=FoundItem.Kind.BELONGINGS,
                description="Green umbrella with a name tag, children's area",
                branch=branches[1 % len(branches)],
                found_at=now - datetime.timedelta(days=2),
                finder_name="A visitor",
            ),
        ]
    )
    created["events"] = len(events)
    created["event sign-ups"] = len(signups)
    created["computer sessions"] = len(sessions)
    created["reference consultations"] = len(consultations)
    created["found items"] = 2


# Cameras (CAM-1, CAM-2): public spaces only; the registry refuses any other.
CAMERAS = [
    ("CEN", "Main doors", "Main doors, facing in", "entrance"),
    ("CEN", "Computer area", "Public computers, from the far wall", "computer_area"),
    ("CEN", "Stacks east", "Adult non-fiction, east aisles", "stacks"),
    ("NTH", "North entrance", "Front doors and the book return", "entrance"),
    ("WST", "Parking lot", "Car park, from above the side door", "parking"),
]
INCIDENT_DESCRIPTION = (
    "Shouted at staff at the public computers and threw a chair; nobody was hurt."
)
# A one-pixel PNG and the start of an MP4: placeholders, not real images or video.
PNG_PLACEHOLDER = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
MP4_PLACEHOLDER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
DEMO_EXPORT_FOLDER = "demo-recorder-export"


def placeholder_clip(label: str) -> bytes:
    """A small file standing in for a recording; the label makes each one's SHA-256 its own."""
    return MP4_PLACEHOLDER + f"demo footage: {label}".encode()


def _seed_cameras(branches: dict[str, Branch], created: dict[str, int]) -> dict[str, Camera]:
    cameras = {}
    for code, name, where, kind in CAMERAS:
        cameras[name], made = Camera.objects.get_or_create(
            branch=branches[code],
            name=name,
            defaults={"location_description": where, "location_type": kind},
        )
        created["cameras"] = created.get("cameras", 0) + int(made)
    return cameras


def _seed_footage(cameras: dict[str, Camera], created: dict[str, int]) -> None:
    """Recordings of the last day, an incident with a ban, stills, a request for the director.

    So the guard's day (watch a recording, keep a still for an incident, see
    the stills shared while a ban lasts) and the director's (the queue of
    outside requests, a release) can be tried. The files are small
    placeholders in the footage storage, each with its real SHA-256; all are
    recent, so the purge keeps them for FOOTAGE_RETENTION_DAYS. A recorder's
    export folder is left in MEDIA_ROOT to try `import_footage` on.
    """
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    demo_staff = User.objects.filter(username__in=["guard", "incharge", "desk"])
    users = {user.username: user for user in demo_staff}
    recordings = {}
    for name in ["Main doors", "Computer area", "Stacks east", "North entrance", "Parking lot"]:
        for hours_ago in (26, 25, 24):
            starts = now - datetime.timedelta(hours=hours_ago)
            label = f"{name} {starts.isoformat()}"
            recordings[(name, hours_ago)] = facilities.recording_register(
                camera=cameras[name],
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=1),
                file=ContentFile(placeholder_clip(label), name=f"camera{cameras[name].pk}.mp4"),
            )
    created["recordings"] = len(recordings)
    guard, incharge = users["guard"], users["incharge"]
    seen = recordings[("Computer area", 25)]
    incident = facilities.incident_record(
        actor=guard,
        occurred_at=seen.starts_at + datetime.timedelta(minutes=20),
        branch=cameras["Computer area"].branch,
        area="Computer area",
        kind=Incident.Kind.CONDUCT,
        description=INCIDENT_DESCRIPTION,
    )
    person = facilities.incident_person_add(
        actor=guard,
        incident=incident,
        description="Adult, about thirty, red jacket, grey backpack.",
    )
    ban = facilities.ban_create(
        actor=incharge,
        person=person,
        starts_at=incident.occurred_at,
        ends_at=now + datetime.timedelta(days=60),
        note="Thirty days for throwing furniture; sixty after a warning last month.",
    )
    facilities.still_create(
        actor=guard,
        recording=seen,
        incident=incident,
        taken_at=incident.occurred_at,
        image=ContentFile(PNG_PLACEHOLDER, name="still.png"),
        caption="At the public computers, just before the chair was thrown.",
        ban=ban,
    )
    door = recordings[("Main doors", 25)]
    facilities.still_create(
        actor=guard,
        recording=door,
        incident=incident,
        taken_at=door.starts_at + datetime.timedelta(minutes=35),
        image=ContentFile(PNG_PLACEHOLDER, name="still.png"),
        caption="Leaving by the main doors.",
    )
    facilities.outside_request_record(
        actor=users["desk"],
        requester_kind="police",
        requester_name="Lawrence Police Department",
        contact="Front desk, 785-555-0100",
        footage_wanted="Main doors, yesterday afternoon: a bicycle taken from the rack.",
    )
    created["incidents"] = 1
    created["bans"] = 1
    created["stills"] = 2
    created["outside requests"] = 1
    _write_demo_export(cameras, now)


def _write_demo_export(cameras: dict[str, Camera], now: datetime.datetime) -> None:
    """Leave a recorder's export in MEDIA_ROOT: two good entries, a private space, a bad file."""
    folder = Path(settings.MEDIA_ROOT) / DEMO_EXPORT_FOLDER
    if (folder / MANIFEST_NAME).exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["camera,start,end,file,sha256,location"]
    entries = [
        ("Main doors", 3, "entrance", None),
        ("Stacks east", 3, "stacks", None),
        ("Restroom corridor", 3, "restroom", None),  # refused: a private space (CAM-2)
        ("Computer area", 3, "computer_area", "damaged"),  # refused: the file is not as listed
    ]
    for number, (name, hours_ago, kind, damage) in enumerate(entries, start=1):
        starts = timezone.localtime(now - datetime.timedelta(hours=hours_ago))
        data = placeholder_clip(f"export {name} {starts.isoformat()}")
        file = f"ch{number:02d}/{starts:%Y%m%d-%H%M}.mp4"
        (folder / file).parent.mkdir(exist_ok=True)
        (folder / file).write_bytes(data + (b" " + damage.encode() if damage else b""))
        ends = starts + datetime.timedelta(hours=1)
        digest = hashlib.sha256(data).hexdigest()
        rows.append(f"{name},{starts.isoformat()},{ends.isoformat()},{file},{digest},{kind}")
    (folder / MANIFEST_NAME).write_text("\n".join(rows) + "\n")
