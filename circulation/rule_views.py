"""Loan rules by item type and patron category, kept by the person in charge and the director.

The pages open to the roles holding circulation.change_loanrule in the role
table (library.roles); anyone else gets the not-found page, as for every staff
page. A rule names no patron. Every change is saved through
services.loan_rule_save, and django-auditlog records it (circulation.audit).
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from circulation import services
from circulation.forms import LoanRuleForm
from circulation.models import LoanRule
from circulation.services import CirculationError
from library.staff import staff_page

RULES_PERMISSION = "circulation.change_loanrule"
SAVED = "Saved the loan rule: {rule}."


@require_GET
@staff_page(RULES_PERMISSION)
def loan_rules(request: HttpRequest) -> HttpResponse:
    """List every loan rule: by item type and patron category, with days, renewals and fines."""
    return render(request, "circulation/loan_rules/list.html", {"rules": LoanRule.objects.all()})


@staff_page(RULES_PERMISSION, methods=("GET", "POST"))
def loan_rule_new(request: HttpRequest) -> HttpResponse:
    """Add a loan rule; a duplicate type and category or a bad value is shown on the form."""
    return _edit(request, None)


@staff_page(RULES_PERMISSION, methods=("GET", "POST"))
def loan_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a loan rule; the desk's next check-out under it uses the new values."""
    rule = LoanRule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404
    return _edit(request, rule)


def _edit(request: HttpRequest, rule: LoanRule | None) -> HttpResponse:
    if request.method != "POST":
        form = LoanRuleForm.for_rule(rule) if rule else LoanRuleForm()
        return _form_page(request, form, rule)
    form = LoanRuleForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, rule)
    try:
        saved = services.loan_rule_save(rule=rule, **form.cleaned_data)
    except CirculationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _form_page(request, form, rule)
    messages.success(request, SAVED.format(rule=saved))
    return redirect("circulation:loan_rules")


def _form_page(request: HttpRequest, form: LoanRuleForm, rule: LoanRule | None) -> HttpResponse:
    return render(request, "circulation/loan_rules/form.html", {"form": form, "rule": rule})
