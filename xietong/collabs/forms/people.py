"""People fields: a typed name, the person picked for it, and "邀请新成员" when it matches nobody.

Each people field ``X`` of a form is three more inputs besides the typed text:
``X_id`` (the person the picker chose: with JavaScript the live search fills
it; without, the candidates of an ambiguous name come back as radio buttons
of that name) and ``X_email`` / ``X_phone`` (the invitation of a new person,
offered when the name matches nobody). The typed text is resolved on submit
(``pick``): free text never creates an account.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.collabs.actions.common import PersonUnresolved, resolve_person
from xietong.orgs.invitations import NewPerson
from xietong.orgs.models import Department, Person

# What a people field holds once resolved: nobody, someone found, or someone to invite.
Picked = Person | NewPerson | None


class PeopleFields(forms.Form):
    """A form with people fields (``people_fields``); ``pick`` resolves one after ``is_valid``."""

    people_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unresolved: dict[str, PersonUnresolved] = {}
        for name in self.people_fields:
            self.fields[f"{name}_id"] = forms.IntegerField(required=False, widget=forms.HiddenInput)
            self.fields[f"{name}_email"] = forms.CharField(
                label=gettext_lazy("电子邮箱"), max_length=254, required=False
            )
            self.fields[f"{name}_phone"] = forms.CharField(
                label=gettext_lazy("手机"), max_length=40, required=False
            )

    def pick(self, name: str, department: Department | None, current: Person | None = None) -> Picked:
        """Return who the field ``name`` names; on a name that needs a choice, add the error and return None.

        The picked id counts while the text still reads as that person (one
        typed over it is resolved afresh), so a namesake of the present holder
        can be picked; else ``current`` (the field's present holder) stands
        when the text is unchanged, namesakes or not. A name
        that matches nobody with an e-mail or mobile given is a person to invite.
        """
        data = self.cleaned_data
        text = (data.get(name) or "").strip()
        if not text:
            return None
        chosen = data.get(f"{name}_id")
        if chosen:
            person = Person.objects.filter(pk=chosen, is_active=True).select_related("department").first()
            if person is not None and text in (person.name, person.username):
                return person
        if current is not None and text in (current.name, current.username):
            return current
        try:
            return resolve_person(text, department)
        except PersonUnresolved as unresolved:
            email, phone = (
                (data.get(f"{name}_email") or "").strip(),
                (data.get(f"{name}_phone") or "").strip(),
            )
            if not unresolved.ambiguous and (email or phone):
                return NewPerson(text, email, phone, department)
            self.unresolved[name] = unresolved
            self.add_error(name, unresolved.message())
            if not unresolved.ambiguous:
                self.add_error(
                    name, _("或在下方填写电子邮箱或手机,邀请 %(name)s 成为新成员") % {"name": text}
                )
            return None

    def picker(self, name: str) -> dict[str, Any]:
        """Return what ``orgs/_picker.html`` shows for the field ``name``."""
        return {
            "field": self[name],
            "id_field": self[f"{name}_id"],
            "email_field": self[f"{name}_email"],
            "phone_field": self[f"{name}_phone"],
            "unresolved": self.unresolved.get(name),
        }
