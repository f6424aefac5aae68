from typing import Any

from django import forms

from notices.models import NoticeTemplate
from notices.rendering import template_problems, variables_for


class NoticeTemplateForm(forms.Form):
    """The library's words for one notice; words that do not compile are refused field by field.

    notices.services.notice_template_update checks them again before saving.
    """

    subject = forms.CharField(max_length=200)
    body = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 14, "cols": 80}))

    def __init__(self, *args: Any, template: NoticeTemplate, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"subject": template.subject, "body": template.body})
        super().__init__(*args, **kwargs)
        self.template = template
        known = ", ".join(sorted(variables_for(template.kind)))
        self.fields["body"].help_text = f"Variables you may use: {known}."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for part in ("subject", "body"):
            if part in data:
                for problem in template_problems(data[part], kind=self.template.kind, part=part):
                    self.add_error(part, problem)
        return data


class LettersSentForm(forms.Form):
    """The letters printed and posted, by notice id, out of those waiting."""

    notices = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Letters posted")

    def __init__(self, *args: Any, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["notices"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(pk, f"#{pk}") for pk in ids]
