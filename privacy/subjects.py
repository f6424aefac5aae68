"""The patron, as the privacy app knows it: by the model's label, as Django's auth knows its user.

The domain apps build on privacy, never the reverse (the import-linter contract
in pyproject.toml). So privacy names the patron model by its label and reaches
it through Django's app registry, and reads only what this module documents:

- fields: `card_number`, `user` (the patron's own login, reverse name
  `patron`), `home_branch`, `date_of_birth`;
- `is_minor_on(day)`, and a manager with `minors(today)`;
- relations: `responsible_adults` (rows with `adult_id` and `adult_name`),
  `consents` and `identity_checks` (privacy's own models), `legal_orders`
  (privacy.LegalOrder), and `patronuserobjectpermission` (guardian's direct
  grant table for the patron).

A system check (privacy.checks) fails at start-up when the model lacks one.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model
from guardian.utils import get_user_obj_perms_model

if TYPE_CHECKING:
    from patrons.models import Patron

PATRON_MODEL = "patrons.Patron"


def patron_model() -> "type[Patron]":
    """Return the patron model class (loaded once the app registry is ready)."""
    model: Any = apps.get_model(PATRON_MODEL)
    return model


@cache
def patron_grants() -> type[Model]:
    """Return guardian's direct grant table for patrons (user, patron, permission)."""
    model: Any = patron_model()  # guardian takes the model class as well as an instance
    return get_user_obj_perms_model(model)
