"""Found items (CONF-8): register, match to the owner through the gate, contact them.

The list shows no patron. A found item's owner, name and contact details are
shown only on its own page and the contact-task list, each read through the
gate with purpose found_item, so only the staff roles that do this work see them.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from circulation import services
from circulation.forms import CardForm, ContactForm, FoundItemForm, OwnerByNameForm
from circulation.models import FoundItem
from circulation.services import CirculationError
from circulation.views import desk_page_for
from patrons.models import Patron
from privacy import access
from privacy.gate import NOT_FOUND_MESSAGE, Refused
from privacy.policy import DataCategory, Purpose

found_page = desk_page_for(Purpose.FOUND_ITEM)
NO_OWNER_MATCHED = "No patron matched that card number; the item is registered without an owner."
CANDIDATE_LIMIT = 10


def _owner(user: Any, patron_id: int) -> Patron:
    return access.find_patron(
        user, pk=patron_id, category=DataCategory.IDENTITY, purpose=Purpose.FOUND_ITEM
    )


def _owner_by_card(user: Any, card_number: str) -> Patron:
    return access.find_patron(
        user, card_number=card_number, category=DataCategory.IDENTITY, purpose=Purpose.FOUND_ITEM
    )


@found_page
def found_list(request: HttpRequest) -> HttpResponse:
    """List found items (no owners shown) and register a new one."""
    form = FoundItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            found = services.found_item_register(
                kind=data["kind"],
                description=data["description"],
                branch=data["branch"],
                registered_by=request.user,
                barcode=data["barcode"],
                finder_name=data["finder_name"],
                finder_contact=data["finder_contact"],
            )
        except CirculationError as error:
            form.add_error("barcode", error.message)
        else:
            if data["card_number"]:
                try:
                    owner = _owner_by_card(request.user, data["card_number"])
                except Refused:
                    messages.warning(request, NO_OWNER_MATCHED)
                else:
                    services.found_item_match(found_item=found, owner=owner)
            messages.success(request, f"Registered found item #{found.pk}.")
            return redirect("circulation:found_detail", pk=found.pk)
    items = FoundItem.objects.select_related("branch", "item").exclude(
        status=FoundItem.Status.RETURNED
    )[:200]
    return render(request, "circulation/found/list.html", {"form": form, "items": items})


def _detail(request: HttpRequest, found: FoundItem, **context: Any) -> HttpResponse:
    owner = _owner(request.user, found.owner_id) if found.owner_id else None
    return render(
        request,
        "circulation/found/detail.html",
        {
            "found": found,
            "owner": owner,
            "card_form": context.pop("card_form", None) or CardForm(),
            "name_form": context.pop("name_form", None) or OwnerByNameForm(),
            "contact_form": context.pop("contact_form", None) or ContactForm(),
            **context,
        },
    )


@found_page
def found_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a found item; its owner only through the gate."""
    found = get_object_or_404(FoundItem.objects.select_related("branch", "item__record"), pk=pk)
    return _detail(request, found)


@require_POST
@found_page
def found_match_card(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(FoundItem, pk=pk)
    form = CardForm(request.POST)
    if form.is_valid():
        try:
            owner = _owner_by_card(request.user, form.cleaned_data["card_number"])
            services.found_item_match(found_item=found, owner=owner)
        except Refused:
            form.add_error("card_number", NOT_FOUND_MESSAGE)
        except CirculationError as error:
            form.add_error("card_number", error.message)
        else:
            messages.success(request, "Owner matched.")
            return redirect("circulation:found_detail", pk=found.pk)
    return _detail(request, found, card_form=form)


@require_POST
@found_page
def found_match_name(request: HttpRequest, pk: int) -> HttpResponse:
    """List patrons with exactly that name, within the gate's scope; each one shown is logged."""
    found = get_object_or_404(FoundItem, pk=pk)
    form = OwnerByNameForm(request.POST)
    candidates: list[Patron] = []
    if form.is_valid():
        scoped = access.scoped_patrons(request.user, DataCategory.IDENTITY, Purpose.FOUND_ITEM)
        candidates = list(
            scoped.filter(
                first_name__iexact=form.cleaned_data["first_name"].strip(),
                last_name__iexact=form.cleaned_data["last_name"].strip(),
            ).select_related("home_branch")[:CANDIDATE_LIMIT]
        )
        access.record_list_read(
            request.user, [p.pk for p in candidates], DataCategory.IDENTITY, Purpose.FOUND_ITEM
        )
        if not candidates:
            form.add_error("last_name", NOT_FOUND_MESSAGE)
    return _detail(request, found, name_form=form, candidates=candidates, searched=True)


@require_POST
@found_page
def found_match_pick(request: HttpRequest, pk: int, patron_id: int) -> HttpResponse:
    found = get_object_or_404(FoundItem, pk=pk)
    owner = _owner(request.user, patron_id)
    try:
        services.found_item_match(found_item=found, owner=owner)
    except CirculationError as error:
        messages.error(request, error.message)
    return redirect("circulation:found_detail", pk=found.pk)


@require_POST
@found_page
def found_contact(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(FoundItem, pk=pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        if found.owner_id:
            _owner(request.user, found.owner_id)  # the library reads the contact details
        try:
            found = services.found_item_contact(
                found_item=found, channel=form.cleaned_data["channel"]
            )
        except CirculationError as error:
            form.add_error("channel", error.message)
        else:
            done = "Email sent." if found.contacted_at else "Added to the contact tasks."
            messages.success(request, done)
            return redirect("circulation:found_detail", pk=found.pk)
    return _detail(request, found, contact_form=form)


@require_POST
@found_page
def found_contact_done(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(FoundItem, pk=pk)
    try:
        services.found_item_contact_done(found_item=found)
    except CirculationError as error:
        messages.error(request, error.message)
    return redirect("circulation:found_tasks")


@require_POST
@found_page
def found_return(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(FoundItem, pk=pk)
    try:
        services.found_item_return(found_item=found)
    except CirculationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Found item #{found.pk} is back with its owner.")
    return redirect("circulation:found_list")


@found_page
def found_tasks(request: HttpRequest) -> HttpResponse:
    """List letters to send and calls to make, with the owners' details, read through the gate."""
    tasks = list(
        access.restrict_to_readable(
            FoundItem.objects.filter(contacted_at__isnull=True, owner__isnull=False)
            .exclude(contact_channel="")
            .select_related("owner", "branch"),
            patron_path="owner",
            user=request.user,
            category=DataCategory.IDENTITY,
            purpose=Purpose.FOUND_ITEM,
        ).order_by("found_at")[:200]
    )
    access.record_list_read(
        request.user,
        [task.owner_id for task in tasks if task.owner_id],
        DataCategory.IDENTITY,
        Purpose.FOUND_ITEM,
    )
    return render(request, "circulation/found/tasks.html", {"tasks": tasks})
