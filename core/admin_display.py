"""Money and rates in the console as people read them. Django shows a NUMERIC(38,18) column with all
18 decimals ("0.100000000000000000"); every admin that mixes in `ConsoleDisplayMixin` shows its
money columns as entered, with thousands separators ("1,234.5"), integer counters with separators
("20,000"), floats (RL rewards) to 12 significant digits, and the fields named in `percent_fields`
(RTPs stored as fractions) as percentages, in lists and on read-only detail pages alike. Sorting by
those columns still sorts by the stored value. Read-only fields shown formatted are left out of the form."""
from decimal import Decimal

from django.contrib import admin
from django.db import models

from core.formatting import count_text, float_text, money_text, percent_text
from core.money import MONEY_DECIMAL_PLACES

_SUFFIX = "_shown"


def _is_money(field: models.Field) -> bool:
    return isinstance(field, models.DecimalField) and field.decimal_places == MONEY_DECIMAL_PLACES


def _is_count(field: models.Field) -> bool:
    # Counters (spins, queries, rounds) read better as 20,000; ids and coded values stay as stored.
    return (isinstance(field, models.IntegerField) and not isinstance(field, models.AutoField)
            and not field.choices and not field.primary_key)


def _column(field: models.Field, text):
    # A field name shadows an admin attribute of the same name (lookup_field reads the model
    # first), so the formatted column gets its own name.
    def shown(obj):
        return text(getattr(obj, field.name))

    shown.__name__ = f"{field.name}{_SUFFIX}"
    return admin.display(description=field.verbose_name, ordering=field.name)(shown)


class ConsoleDisplayMixin:
    """Put it before `admin.ModelAdmin` in the bases. Rewrites `list_display`, `readonly_fields`
    and `fields` once per admin instance (editable money inputs get the same plain form)."""

    percent_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # a ModelAdmin gets its model here, an inline has it already
        shown = {}
        for field in self.model._meta.concrete_fields:
            if _is_money(field):
                shown[field.name] = _column(field, money_text)
            elif field.name in self.percent_fields:
                shown[field.name] = _column(field, percent_text)
            elif _is_count(field):
                shown[field.name] = _column(field, count_text)
            elif isinstance(field, models.FloatField):
                shown[field.name] = _column(field, float_text)
        for column in shown.values():
            setattr(self, column.__name__, column)
        readonly = set(self.readonly_fields)
        self._shown = {name: column.__name__ for name, column in shown.items()}
        if hasattr(self, "list_display"):  # inlines have no list
            self.list_display = self._swap(self.list_display, everywhere=True)
        self.readonly_fields = self._swap(self.readonly_fields, everywhere=True)
        if self.fields:
            self.fields = self._swap(self.fields, only=readonly)

    def _swap(self, names, *, everywhere: bool = False, only: set | None = None):
        swapped = [self._shown.get(name, name) if isinstance(name, str) and (everywhere or name in only) else name
                   for name in names]
        return type(names)(swapped) if isinstance(names, (tuple, list)) else swapped

    def get_readonly_fields(self, request, obj=None):
        # Subclasses that build their read-only list at request time still get the formatted columns.
        return self._swap(super().get_readonly_fields(request, obj), everywhere=True)

    def get_exclude(self, request, obj=None):
        # A read-only field shown formatted is under its formatted name in readonly_fields; under its own name
        # it would otherwise come back as an input on the form (a change page could then edit a session's totals).
        readonly = set(self.get_readonly_fields(request, obj))
        formatted_readonly = [name for name, shown in self._shown.items() if shown in readonly]
        return [*(super().get_exclude(request, obj) or ()), *formatted_readonly]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # A view-only page renders every field read-only by its plain name.
            return self._swap(fields, everywhere=True)
        return fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and _is_money(db_field):
            formfield.prepare_value = _input_amount
        return formfield


def _input_amount(value):
    # An edit box shows "10", not "10.000000000000000000"; what was typed (a str) is kept as typed.
    return money_text(value, grouping=False) if isinstance(value, Decimal) else value

