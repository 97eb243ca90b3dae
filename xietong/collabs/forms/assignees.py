"""Step 4: a row's assignee (执行人), in the row's edit form and in its own cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.collabs.forms.tasks import TaskForm
from xietong.orgs.models import Person


class _ChoosesAssignee(forms.Form):
    """An ``assignee`` field offering ``people`` (the row's department's), read back as a Person."""

    assignee = forms.TypedChoiceField(label=_("执行人"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, people: Sequence[Person] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["assignee"].choices = [("", "—"), *((p.pk, p.name) for p in people)]  # type: ignore[attr-defined]

    def chosen_assignee(self) -> Person | None:
        pk = self.cleaned_data.get("assignee")
        return self.people.get(pk) if pk else None


class AssignedTaskForm(_ChoosesAssignee, TaskForm):
    """A row's edit form with its assignee, chosen among the people of the row's department."""


class AssignForm(_ChoosesAssignee):
    """The assignee cell's picker: a person of the row's department (empty: nobody), at the row's version."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
