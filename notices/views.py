"""Staff pages: letters to print for patrons without email, and the notice templates.

Letters are a desk task (CONF-3): the pages open to the roles that work the
circulation desk and read patrons' names and addresses through the gate. The
templates are the library's words, edited by the person in charge.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from circulation.views import desk_page_for
from library.staff import staff_page
from notices import selectors, services
from notices.forms import LettersSentForm, NoticeTemplateForm
from notices.models import NoticeTemplate
from notices.rendering import variables_for
from privacy import access
from privacy.policy import DataCategory, Purpose

letters_page = desk_page_for(Purpose.CIRCULATION)
templates_page = staff_page("notices.change_noticetemplate")

LETTERS_MARKED = "{count} letter{s} marked printed and posted."
TEMPLATE_SAVED = "The template is saved; notices sent from now on use it."


@letters_page
def letters(request: HttpRequest) -> HttpResponse:
    """List the letters waiting to be printed, with their patrons' names and addresses."""
    waiting = selectors.letters_waiting(request.user)
    form = LettersSentForm(ids=[letter.pk for letter in waiting])
    return render(request, "notices/letters.html", {"letters": waiting, "form": form})


@letters_page
def letters_print(request: HttpRequest) -> HttpResponse:
    """Render the waiting letters for printing, one a page; they never name an item (CONF-9)."""
    waiting = selectors.letters_waiting(request.user)
    access.record_list_read(
        request.user,
        [letter.patron_id for letter in waiting],
        DataCategory.CIRCULATION,
        Purpose.CIRCULATION,
    )
    today = timezone.localdate()
    pages = services.letters_render(letters=waiting, today=today)
    return render(
        request,
        "notices/letters_print.html",
        {"pages": pages, "printed_at": timezone.now(), "today": today},
    )


@require_POST
@letters_page
def letters_sent(request: HttpRequest) -> HttpResponse:
    """Mark the chosen letters printed and posted."""
    waiting = selectors.letters_waiting(request.user)
    form = LettersSentForm(request.POST, ids=[letter.pk for letter in waiting])
    if form.is_valid():
        count = services.letters_mark_sent(notice_ids=form.cleaned_data["notices"])
        messages.success(request, LETTERS_MARKED.format(count=count, s="" if count == 1 else "s"))
        return redirect("notices:letters")
    return render(request, "notices/letters.html", {"letters": waiting, "form": form}, status=400)


@templates_page
def templates(request: HttpRequest) -> HttpResponse:
    """List the notice templates the library edits."""
    return render(request, "notices/templates.html", {"templates": selectors.templates()})


@templates_page
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one template; words that do not compile or use unknown variables are refused."""
    template = get_object_or_404(NoticeTemplate, pk=pk)
    form = NoticeTemplateForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_template_update(
                template=template,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except services.NoticeError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, TEMPLATE_SAVED)
            return redirect("notices:templates")
    return render(
        request,
        "notices/template_edit.html",
        {
            "template": template,
            "form": form,
            "variables": sorted(variables_for(template.kind).items()),
        },
    )
