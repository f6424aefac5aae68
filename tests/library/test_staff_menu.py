"""The staff menu and the staff pages come from the one role table (library.roles.ROLES).

The menu is walked for every role and every item opened as that role; the
URL resolver is walked for every staff page and its requirements checked
against the table, so a page nobody can open, or a menu item that answers
"not found", cannot arrive unnoticed.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from library.roles import ROLES, Duty, Purpose, Role
from library.staff import STAFF_MENU, requirements_of, staff_menu
from tests.conftest import StaffClient

pytestmark = pytest.mark.django_db


def _staff_pages(patterns=None, prefix=""):
    """Yield (route, view, requirements) for every staff page the URL configuration has."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _staff_pages(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            requirements = requirements_of(pattern.callback)
            if requirements is not None:
                yield prefix + str(pattern.pattern), pattern.callback, requirements


@pytest.mark.parametrize("role", list(Role))
def test_every_item_of_a_roles_menu_opens_for_that_role(staff, role):
    user = staff(role)
    client = StaffClient()
    client.force_login(user)
    items = staff_menu(user)
    assert items, f"{role} has no staff pages at all"
    for item in items:
        response = client.get(item.url)
        assert response.status_code == 200, f"{role}: {item.label} ({item.url})"


@pytest.mark.parametrize("role", list(Role))
def test_a_role_sees_exactly_the_menu_items_whose_pages_open_for_it(staff, role):
    user = staff(role)
    client = StaffClient()
    client.force_login(user)
    shown = {item.url_name for item in staff_menu(user)}
    for item in STAFF_MENU:
        opens = client.get(item.url).status_code != 404
        assert opens == (item.url_name in shown), f"{role}: {item.label}"


@pytest.mark.parametrize("address", ["/staff/", "/staff/activity/reference/"])
def test_the_page_header_lists_the_same_menu(staff, address):
    user = staff(Role.REFERENCE)
    client = StaffClient()
    client.force_login(user)
    page = client.get(address).content.decode()
    for item in STAFF_MENU:
        listed = f'href="{item.url}"' in page
        assert listed == (item in staff_menu(user)), item.label
    # The reference librarian does not work the circulation desk (CONF-3).
    assert 'href="/staff/circulation/desk/"' not in page


def test_every_menu_item_is_a_staff_page():
    for item in STAFF_MENU:
        assert requirements_of(resolve(item.url).func) is not None, item.url_name


def test_every_staff_page_opens_for_some_role():
    pages = list(_staff_pages())
    assert len(pages) > 40
    for route, _view, requirements in pages:
        if not requirements:
            continue  # any staff role
        met = [
            role
            for role, rights in ROLES.items()
            for wanted in requirements
            if (
                wanted in rights.operations
                if isinstance(wanted, Purpose)
                else wanted in rights.duties
                if isinstance(wanted, Duty)
                else wanted in rights.permissions
            )
        ]
        assert met, f"{route} needs {requirements}, which no role in the table has"


def test_a_user_without_a_role_has_no_menu(db, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x" * 12)
    assert staff_menu(root) == []
