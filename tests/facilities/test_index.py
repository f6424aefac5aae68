"""The facilities start page opens each role's own pages, and nothing for patrons."""

import pytest

pytestmark = pytest.mark.django_db

INDEX = "/staff/facilities/"


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("security_guard", ["incidents/", "recordings/", "stills/"], ['requests/"']),
        ("person_in_charge", ["incidents/", "cameras/", "recordings/"], ['requests/"']),
        ("it_staff", ["cameras/", "recordings/"], ["incidents/", "bans/"]),
        ("director", ["incidents/", 'requests/"'], []),
        ("circulation", ["stills/", "requests/new/"], ["incidents/", "recordings/"]),
        ("auditor", ["stills/"], ["incidents/", "recordings/", "cameras/"]),
    ],
)
def test_each_role_sees_links_to_its_own_pages(client, login_as, who, shown, hidden):
    login_as(who)
    body = client.get(INDEX).content.decode()
    for link in shown:
        assert f'href="/staff/facilities/{link}' in body, link
    for link in hidden:
        assert f'href="/staff/facilities/{link}' not in body, link


@pytest.mark.parametrize("who", ["alice", "root"])
def test_patrons_and_roleless_users_get_not_found(client, login_as, who):
    login_as(who)
    assert client.get(INDEX).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(INDEX).status_code == 302
