"""Writes of one transaction gathered and sent to PostgreSQL as ONE statement.

A gameplay action inserts ledger rows, a spin, an RL step and maybe a transition, and updates the
wallet and the session: six round trips if each goes on its own. `WriteBatch` collects them while the
service works on rows it has locked, and `flush()` sends them together as data-modifying CTEs::

    WITH w0 AS (INSERT INTO ledger ... SELECT * FROM UNNEST(...)),
         w1 AS (INSERT INTO spin ...),
         w2 AS (UPDATE wallet SET ... WHERE id = ...)
    UPDATE session SET ... WHERE id = ...

Updates are compiled by Django's UpdateQuery, so values are adapted exactly as `save(update_fields=...)`
adapts them. Inserts of plain columns (text, integers, money, floats, booleans, timestamps, JSON) go
as ONE parameter per model, a JSON array of row arrays that PostgreSQL unpacks and casts::

    INSERT INTO ledger (wallet_id, amount, ...)
    SELECT (r->>0)::bigint, (r->>1)::numeric, ... FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY ...

Django's own bulk form (UNNEST of one array per column) cost ~0.3 ms of CPU per spin of a v2 batch:
every value goes through the field's get_db_prep_save, then psycopg quotes every array element with a
regular expression (Django's connections bind client-side); one C-level `json.dumps` of the rows is a
tenth of that. Values keep their exact text: money goes as the Decimal's string and is cast to
numeric (never a float), timestamps as ISO 8601 with their offset, floats as their shortest repr. A
value of any other type, an expression, or a model with a column type not listed goes through
Django's compiler as before. PostgreSQL runs every part exactly
once, on one snapshot; that is safe here because no part reads what another writes: rows are built in
Python from the locked rows, foreign keys are DEFERRABLE INITIALLY DEFERRED (checked at commit),
CHECK and UNIQUE constraints hold per row, and each row is updated at most once per flush (updates
of one instance are merged). Use it only inside `transaction.atomic()` on rows the transaction has
locked; as a context manager it flushes on a clean exit, so nothing queued can be forgotten::

    with transaction.atomic(), WriteBatch() as writes:
        ...

What it does not do (the callers do not need it): no `save()`/`post_save` signals (as bulk_create),
no primary keys back on inserted objects, no reads of queued rows before `flush()` — a service that
must read what it queued (a summary over the steps) flushes first.
"""
import datetime
import json
import math
import threading
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import connections, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery, UpdateQuery


class WriteBatch:
    def __init__(self, using: str = "default") -> None:
        self.using = using
        self._inserts: dict[type[models.Model], list[models.Model]] = {}
        self._updates: dict[int, tuple[models.Model, dict[str, None]]] = {}

    def __enter__(self) -> "WriteBatch":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()

    @property
    def pending(self) -> bool:
        return bool(self._inserts or self._updates)

    def insert(self, *objs: models.Model) -> None:
        """Queue new rows (unsaved instances; no pk comes back). Rows of one model keep their order."""
        for obj in objs:
            self._inserts.setdefault(type(obj), []).append(obj)

    def insert_all(self, objs: Iterable[models.Model]) -> None:
        self.insert(*objs)

    def update(self, instance: models.Model, fields: Iterable[str]) -> None:
        """Queue `save(update_fields=fields)` of an existing row; values are read at flush time, so an
        instance changed many times is written once, with its last values."""
        _, queued = self._updates.setdefault(id(instance), (instance, {}))
        queued.update(dict.fromkeys(fields))

    def flush(self) -> None:
        """Send everything queued as one statement (nothing when empty), then start empty."""
        parts = [self._insert_sql(model, objs) for model, objs in self._inserts.items()]
        parts += [self._update_sql(instance, list(fields)) for instance, fields in self._updates.values()]
        self._inserts, self._updates = {}, {}
        if not parts:
            return
        *ctes, (main_sql, main_params) = parts
        sql = main_sql
        params: list = []
        if ctes:
            sql = "WITH " + ", ".join(f"w{index} AS ({part_sql})" for index, (part_sql, _) in enumerate(ctes)) + " " + main_sql
            for _, part_params in ctes:
                params.extend(part_params)
        params.extend(main_params)
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)

    def _insert_sql(self, model: type[models.Model], objs: list[models.Model]) -> tuple[str, tuple]:
        connection = connections[self.using]
        plan = _RowsInsert.of(model, connection)
        if plan is not None:
            try:
                rows = plan.rows(objs, connection)
            except _NotPlain:
                pass
            else:
                for obj in objs:
                    obj._state.adding = False
                    obj._state.db = self.using
                return plan.sql, (json.dumps(rows, separators=(",", ":")),)
        return self._compiled_insert_sql(model, objs)

    def _compiled_insert_sql(self, model: type[models.Model], objs: list[models.Model]) -> tuple[str, tuple]:
        opts = model._meta
        fields = [field for field in opts.concrete_fields if not field.generated and field is not opts.pk]
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="insert")
        query = InsertQuery(model)
        query.insert_values(fields, objs)
        [(sql, params)] = query.get_compiler(using=self.using).as_sql()
        for obj in objs:
            obj._state.adding = False
            obj._state.db = self.using
        return sql, params

    def _update_sql(self, instance: models.Model, names: list[str]) -> tuple[str, tuple]:
        opts = instance._meta
        fields = [opts.get_field(name) for name in names]
        fields += [field for field in opts.concrete_fields
                   if getattr(field, "auto_now", False) and field not in fields]
        values = [field.pre_save(instance, False) for field in fields]
        connection = connections[self.using]
        # The SQL depends only on the model, the fields and which values are NULL (`col = NULL` takes no
        # parameter); compiling it (UpdateQuery, the pk filter) cost more than the rest of a v1 spin's flush.
        shape = (type(instance), tuple(field.attname for field in fields), tuple(value is None for value in values),
                 self.using)
        plain = not any(hasattr(value, "resolve_expression") for value in values)
        known = _UPDATE_SQL.get(shape) if plain else None
        if known is not None:
            return known, _update_params(fields, values, instance, connection)
        query = UpdateQuery(type(instance))
        query.add_update_fields(list(zip(fields, [None] * len(fields), values)))
        query.add_filter("pk", instance.pk)
        sql, params = query.get_compiler(using=self.using).as_sql()
        # Kept only when the parameters come out as _update_params makes them (a field with its own
        # placeholder or an adapter object that does not compare, e.g. JSON, is compiled every time).
        if plain and list(params) == _update_params(fields, values, instance, connection):
            _UPDATE_SQL[shape] = sql
        return sql, params


_UPDATE_SQL: dict[tuple, str] = {}


def _update_params(fields: list[models.Field], values: list, instance: models.Model, connection) -> list:
    params = [field.get_db_prep_save(value, connection=connection)
              for field, value in zip(fields, values) if value is not None]
    params.append(instance._meta.pk.get_db_prep_value(instance.pk, connection, prepared=False))
    return params


class _NotPlain(Exception):
    """A value the JSON rows cannot carry exactly as Django would write it (an expression)."""


def _plain(field: models.Field, connection, value):
    """`value` as Django would send it for `field` (get_db_prep_save), for a value not of the column's usual
    Python type (an int for a money column, a naive datetime, ...); expressions are not plain."""
    if hasattr(value, "resolve_expression"):
        raise _NotPlain
    return field.get_db_prep_save(value, connection)


def _text(field, connection):
    # A str subclass (a TextChoices member) goes as its string data, as CharField.to_python keeps it for psycopg.
    return lambda value: value if isinstance(value, str) or value is None else _plain(field, connection, value)


def _integer(field, connection):
    return lambda value: value if type(value) is int or value is None else _plain(field, connection, value)


def _boolean(field, connection):
    return lambda value: value if type(value) is bool or value is None else _plain(field, connection, value)


def _money(field, connection):
    def encode(value):
        if type(value) is not Decimal:
            if value is None:
                return None
            value = _plain(field, connection, value)
        if not value.is_finite():  # as get_db_prep_save (to_python) refuses it
            return _plain(field, connection, value)
        return str(value)  # numeric's input reads it exactly, exponent or not
    return encode


_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _float(field, connection):
    def encode(value):
        if type(value) is not float:
            if value is None:
                return None
            value = _plain(field, connection, value)
        if math.isfinite(value):
            return value  # repr: the shortest text that reads back as the same double
        return "NaN" if math.isnan(value) else _NON_FINITE[value]  # JSON has no such numbers; float8 reads these
    return encode


def _timestamp(field, connection):
    def encode(value):
        if type(value) is not datetime.datetime or value.tzinfo is None:
            if value is None:
                return None
            value = _plain(field, connection, value)
        return value.isoformat()
    return encode


def _json(field, connection):
    return lambda value: value  # embedded in the rows document; None is SQL NULL (as Django), see _RowsInsert


_ENCODERS: dict[str, Callable] = {
    "CharField": _text, "TextField": _text, "SlugField": _text, "EmailField": _text,
    "IntegerField": _integer, "BigIntegerField": _integer, "SmallIntegerField": _integer,
    "PositiveIntegerField": _integer, "PositiveBigIntegerField": _integer, "PositiveSmallIntegerField": _integer,
    "AutoField": _integer, "BigAutoField": _integer, "SmallAutoField": _integer,
    "BooleanField": _boolean, "DecimalField": _money, "FloatField": _float, "DateTimeField": _timestamp,
    "JSONField": _json,
}


class _RowsInsert:
    """How one model's new rows are written as a JSON document (see the module docstring); built once
    per model and connection vendor. `of` answers None for a model with a column it cannot carry."""

    _plans: dict[tuple[type[models.Model], str], "_RowsInsert | None"] = {}

    @classmethod
    def of(cls, model: type[models.Model], connection) -> "_RowsInsert | None":
        key = (model, connection.vendor)
        if key not in cls._plans:
            cls._plans[key] = cls._build(model, connection) if connection.vendor == "postgresql" else None
        return cls._plans[key]

    @classmethod
    def _build(cls, model: type[models.Model], connection) -> "_RowsInsert | None":
        opts = model._meta
        fields = [field for field in opts.concrete_fields if not field.generated and field is not opts.pk]
        selects, encoders, kinds = [], [], []
        for index, field in enumerate(fields):
            column_type = field.target_field if field.is_relation else field
            internal = column_type.get_internal_type()
            if internal not in _ENCODERS or hasattr(field, "get_placeholder") or (
                    internal == "JSONField" and field.encoder is not None):
                return None
            encoders.append(_ENCODERS[internal](field, connection))
            kinds.append(_ENCODERS[internal].__name__)
            if internal == "JSONField":
                selects.append(f"NULLIF(batch_rows.r->{index}, 'null'::jsonb)")
            else:  # the base type: the column's own length and scale apply on assignment, as in any INSERT
                selects.append(f"(batch_rows.r->>{index})::{field.db_type(connection).split('(')[0]}")
        quote = connection.ops.quote_name
        return cls(model, fields, encoders, kinds, sql=(
            f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"SELECT {', '.join(selects)} FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS batch_rows(r, n) "
            "ORDER BY batch_rows.n"))

    def __init__(self, model, fields, encoders, kinds, *, sql: str) -> None:
        self.sql = sql
        self._attnames = [field.attname for field in fields]
        self._columns = list(zip(kinds, encoders))
        # Fields that compute their value at save (auto_now_add timestamps): Django's pre_save, per row.
        self._pre_save = [(index, field) for index, field in enumerate(fields)
                          if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)]
        self._relations = [index for index, field in enumerate(fields) if field.is_relation]

    def rows(self, objs: list[models.Model], connection) -> list[list]:
        attnames, pre_save, relations = self._attnames, self._pre_save, self._relations
        rows = []
        for obj in objs:
            values = obj.__dict__
            row = [values[attname] for attname in attnames]
            if any(row[index] is None for index in relations):
                obj._prepare_related_fields_for_save(operation_name="insert")  # as Django: raises or fills the fk
                row = [values[attname] for attname in attnames]
            for index, field in pre_save:
                row[index] = field.pre_save(obj, True)
            rows.append(row)
        columns = [_encoded_column(kind, encode, column) for (kind, encode), column in zip(self._columns, zip(*rows))]
        return [list(row) for row in zip(*columns)]


_NONE_TYPE = type(None)
_PASS_TYPES = {"_integer": {int, _NONE_TYPE}, "_boolean": {bool, _NONE_TYPE}}


def _encoded_column(kind: str, encode: Callable, column: tuple) -> Iterable:
    """One column of the rows, encoded: what `encode` makes of each value, worked out for the whole column in C
    when its values are of the column's usual type (most are passed as they are), else value by value."""
    if kind == "_json":
        return column
    types = set(map(type, column))
    if kind in _PASS_TYPES:
        if types <= _PASS_TYPES[kind]:
            return column
    elif kind == "_text":
        if all(value_type is _NONE_TYPE or issubclass(value_type, str) for value_type in types):
            return column
    elif kind == "_money":
        if types == {Decimal} and all(map(Decimal.is_finite, column)):
            return list(map(str, column))
    elif kind == "_timestamp":
        if types == {datetime.datetime} and None not in [value.tzinfo for value in column]:
            return list(map(datetime.datetime.isoformat, column))
    elif kind == "_float":
        if types == {float} and all(map(math.isfinite, column)):
            return column
    return list(map(encode, column))


class _Blueprint:
    """What `new_row` needs of a model: each concrete field's attname and default, the related objects';
    and per set of given names (a call site passes the same ones every time), what is left to fill."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.defaults = [(field.attname, field.name, field) for field in fields]
        self.attnames = {field.attname for field in fields}
        self.relations = {field.name: field for field in fields if field.is_relation}
        self.plain = all(field.many_to_one for field in self.relations.values())  # no one-to-one reverse caches
        self._shapes: dict[tuple[str, ...], tuple[list, list]] = {}

    def shape(self, names: tuple[str, ...]) -> tuple[dict, list, list]:
        """(constant defaults to fill: {attname: value}; defaults made per row: (attname, default function);
        related objects given: (name, attname, target attname))."""
        found = self._shapes.get(names)
        if found is None:
            unknown = [name for name in names if name not in self.attnames and name not in self.relations]
            if unknown:
                raise TypeError(f"{self.model.__name__}() got an unexpected keyword argument '{unknown[0]}'")
            constant, made = {}, []
            for attname, name, field in self.defaults:
                if attname in names or name in names:
                    continue
                if field.has_default() and callable(field.default) or not field.has_default() and field.has_db_default():
                    made.append((attname, field.get_default))
                else:  # Django's get_default returns this very object every time (None, "", the field's default)
                    constant[attname] = field.get_default()
            related = [(name, field.attname, field.target_field.attname) for name, field in self.relations.items()
                       if name in names]
            found = self._shapes[names] = (constant, made, related)
        return found


_BLUEPRINTS: dict[type[models.Model], _Blueprint] = {}


def new_row(model: type[models.Model], **values) -> models.Model:
    """An unsaved instance, as `model(**values)` makes it, for rows written by the thousand (a v2 batch
    builds ~5 per spin): Model.__init__ costs ~10 µs with keyword arguments, this a fifth of that.

    Takes concrete field names only: attnames (`wallet_id`) or a related object by its field name
    (`wallet=wallet`, which also caches it on the instance as the descriptor does). Fields not given
    get their defaults. Models with pre_init/post_init receivers are built by Model.__init__."""
    blueprint = _BLUEPRINTS.get(model) or _BLUEPRINTS.setdefault(model, _Blueprint(model))
    if not blueprint.plain or (signals.pre_init.receivers and signals.pre_init.has_listeners(model)) or (
            signals.post_init.receivers and signals.post_init.has_listeners(model)):
        return model(**values)
    constant, made, related = blueprint.shape(tuple(values))
    obj = model.__new__(model)
    obj._state = state = ModelState()
    row = obj.__dict__
    row.update(values)
    for name, attname, target_attname in related:
        value = row.pop(name)
        if value is not None and value.pk is None:
            return model(**values)  # Django's own error path for an unsaved related object
        row[attname] = None if value is None else getattr(value, target_attname)
        state.fields_cache[name] = value
    row.update(constant)
    for attname, default in made:
        row[attname] = default()
    return obj


def loaded_values(instance: models.Model) -> dict[str, object]:
    """The concrete field values an instance was loaded with (deferred fields left out): pass the result
    to `changed_fields` later to save only what an action changed."""
    loaded = instance.__dict__
    return {field.attname: loaded[field.attname] for field in instance._meta.concrete_fields
            if field.attname in loaded and not field.primary_key}


def changed_fields(instance: models.Model, before: dict[str, object]) -> list[str]:
    """Fields whose value differs from `before`, plus deferred fields assigned since loading."""
    loaded = instance.__dict__
    return [field.attname for field in instance._meta.concrete_fields
            if not field.primary_key and field.attname in loaded
            and (field.attname not in before or before[field.attname] != loaded[field.attname])]


class CompiledQuery:
    """A queryset compiled to SQL once per process and run with new parameter values.

    Compiling a queryset (select_related joins, only(), FOR UPDATE) costs more CPU than the database
    spends answering it; a hot path that runs the same shape on every request compiles it once::

        SESSION_LOCK = CompiledQuery(lambda session_id, owner_id: GameplaySession.objects.filter(...),
                                     session_id=-9_000_000_001, owner_id=-9_000_000_002)
        session = SESSION_LOCK.first(session_id=12, owner_id=3)

    `build` is called once with the sentinel values, which must each appear exactly once among the
    compiled SQL's parameters (compiling fails loudly otherwise); rows become instances exactly as
    Django's own ModelIterable makes them (converters, select_related objects, annotations). The shape of the
    queryset must not depend on the values. Compiled once per thread: the compiler keeps the thread's
    connection (gthread workers run requests in several threads).
    """

    def __init__(self, build, **sentinels) -> None:
        self._build = build
        self._sentinels = sentinels
        self._local = threading.local()

    def _compile(self):
        queryset = self._build(**self._sentinels)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = {}
        for name, value in self._sentinels.items():
            found = [index for index, param in enumerate(params) if param == value]
            if len(found) != 1:
                raise ValueError(f"sentinel {name}={value!r} appears {len(found)} times in the compiled query")
            slots[name] = found[0]
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        columns = [column[0] for column in select[0:compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("CompiledQuery does not handle composite primary keys")
        # What compiler.results_iter would work out again for every row.
        converters = list(compiler.get_converters(columns).items())
        annotations = list(compiler.annotation_col_map.items())
        self._local.compiled = (queryset.db, sql, params, slots, converters, klass_info["model"], start, end,
                                init_list, get_related_populators(klass_info, select, queryset.db), annotations)
        return self._local.compiled

    def first(self, **values) -> models.Model | None:
        """The first row's instance (None if no row); `values` gives every sentinel's real value."""
        compiled = getattr(self._local, "compiled", None) or self._compile()
        db, sql, params, slots, converters, model, start, end, init_list, populators, annotations = compiled
        params = list(params)
        for name, value in values.items():
            params[slots[name]] = value
        connection = connections[db]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, (functions, expression) in converters:
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
        instance = model.from_db(db, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        for name, position in annotations:
            setattr(instance, name, row[position])
        return instance
