"""The one door to staff pages, and the staff menu built from the pages themselves.

A staff page names what it serves: a library operation (a Purpose the role
table gives to roles) or a model permission from the role table. The page
opens to users whose roles meet it; everyone else gets the not-found page
(CONF-1, CONF-3). The gate still decides and logs every patron read made on
the page; this only keeps people whose role never does the work off it.

The staff menu lists pages by URL name. Whether a user sees an item is
decided by resolving the URL and asking the page's own requirement, so a menu
item and the page it opens cannot disagree.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from library.declarations import not_found_response, serves_patron_data
from library.models import Branch, StaffProfile
from library.roles import Requirement, roles_may, roles_of
from library.security import second_factor_satisfied

# The attribute a staff page carries: the requirements it opens for (any one
# suffices; none means any staff role).
REQUIREMENTS = "staff_page_requirements"

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class AuthenticatedRequest(HttpRequest):
    """A request that passed staff_page: its user is a real, signed-in user."""

    user: User


def staff_page(
    *requirements: Requirement,
    hidden: bool = False,
    methods: Sequence[str] | None = None,
    superusers: bool = False,
) -> Callable[[View], View]:
    """Declare a staff page that opens to roles meeting one of `requirements` (any role if none).

    A signed-out visitor is sent to the staff sign-in, and so is a user who has
    not given the second factor their role needs; anyone else whose roles meet
    none of the requirements gets the not-found page. A `hidden` page answers
    signed-out visitors "not found" as well, so not even its existence shows
    (the auditors' pages). `methods`, when given, are the HTTP methods the page
    answers once it has opened (405 otherwise); a page that checks its method
    before anything else wraps this decorator in require_POST instead. The page
    is declared to the privacy middleware as one that serves patron data.
    A page declared with `superusers` opens to superusers without a role too
    (only the pages of sign-in factors: superusers read no patron data).
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                if hidden:
                    return not_found_response(request)
                return redirect_to_login(request.get_full_path())
            if not (opens_for(user, requirements) or (superusers and user.is_superuser)):
                return not_found_response(request)
            if not second_factor_satisfied(user):
                return redirect_to_login(request.get_full_path())
            if methods is not None and request.method not in methods:
                return HttpResponseNotAllowed(list(methods))
            return view(request, *args, **kwargs)

        setattr(guarded, REQUIREMENTS, tuple(requirements))
        return cast(View, serves_patron_data(guarded))

    return decorate


def opens_for(user: Any, requirements: tuple[Requirement, ...]) -> bool:
    """Return True if the user holds a staff role meeting one of the requirements (any if none)."""
    roles = roles_of(user)
    if not roles:
        return False
    return not requirements or any(roles_may(roles, wanted) for wanted in requirements)


def requirements_of(view: Any) -> tuple[Requirement, ...] | None:
    """Return a staff page's requirements, or None if the view is not a staff page."""
    return getattr(view, REQUIREMENTS, None)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


# The staff menu, desk pages first. Which items a user sees comes from each
# page's own requirement (see staff_menu), never from a list kept here.
STAFF_MENU = (
    MenuItem("Circulation desk", "circulation:desk"),
    MenuItem("Hold shelf", "circulation:hold_shelf"),
    MenuItem("Pull list", "circulation:pull_list"),
    MenuItem("In transit", "circulation:in_transit"),
    MenuItem("Found items", "circulation:found_list"),
    MenuItem("Statistics", "circulation:statistics"),
    MenuItem("Loan rules", "circulation:loan_rules"),
    MenuItem("Letters to print", "notices:letters"),
    MenuItem("Patrons", "patrons:find"),
    MenuItem("Computers", "activity:computers"),
    MenuItem("Reference", "activity:reference"),
    MenuItem("Events", "activity:events"),
    MenuItem("Inquiry desk", "privacy:inquiry_desk"),
    MenuItem("Consents", "privacy:consent_desk"),
    MenuItem("Legal orders", "privacy:order_list"),
    MenuItem("Contracted agents", "privacy:agent_list"),
    MenuItem("Incidents and footage", "facilities:index"),
    MenuItem("Notice templates", "notices:templates"),
    MenuItem("Audit trail", "audit:index"),
    MenuItem("Staff sign-in factors", "logins_second_factor"),
    MenuItem("My second factor", "second_factor"),
    MenuItem("Records (admin)", "admin:index"),
)


def staff_menu(user: Any) -> list[MenuItem]:
    """Return the menu items whose pages open for this user, in menu order."""
    if not roles_of(user):
        return []
    shown = []
    for item in STAFF_MENU:
        try:
            view = resolve(item.url).func
        except (NoReverseMatch, Resolver404):
            continue
        requirements = requirements_of(view)
        if requirements is not None and opens_for(user, requirements):
            shown.append(item)
    return shown


# The session key under which a desk keeps the branch it works at: the desk
# (circulation.views) writes it, the staff header reads it.
DESK_BRANCH_SESSION = "desk_branch"


def staff_branch(request: HttpRequest) -> Branch | None:
    """Return the branch a staff member works at: the desk's chosen one, else their home one."""
    user = getattr(request, "user", None)
    if user is None or not roles_of(user):
        return None
    session = getattr(request, "session", None)
    branch_id = session.get(DESK_BRANCH_SESSION) if session is not None else None
    if branch_id:
        chosen = Branch.objects.filter(pk=branch_id).first()
        if chosen is not None:
            return chosen
    profile = StaffProfile.objects.select_related("branch").filter(user_id=user.pk).first()
    return profile.branch if profile else None
