"""Accounts the benchmarks sign in as, made on top of the scale data."""

from django.contrib.auth.models import User

from circulation.models import Item, Loan
from patrons.models import Patron


def portal_patron(*, loans: int) -> Patron:
    """Return a patron with a portal login and `loans` open loans (a typical busy account)."""
    patron = (
        Patron.objects.filter(user__isnull=True, date_of_birth__year__lt=1990)
        .order_by("pk")
        .first()
    )
    assert patron is not None, "seed the scale data first"
    user, _ = User.objects.get_or_create(username="bench-patron")
    patron.user = user
    patron.save(update_fields=["user"])
    free_items = list(Item.objects.filter(status=Item.Status.ON_SHELF).order_by("pk")[:loans])
    template = Loan.objects.filter(returned_at__isnull=True).first()
    assert template is not None
    for item in free_items:
        Loan.objects.create(
            item=item,
            patron=patron,
            branch_id=item.branch_id,
            checked_out_at=template.checked_out_at,
            due_at=template.due_at,
        )
    Item.objects.filter(pk__in=[item.pk for item in free_items]).update(status=Item.Status.ON_LOAN)
    return patron
