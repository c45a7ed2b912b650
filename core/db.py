"""Writes of one transaction gathered and sent to PostgreSQL as ONE statement.

A gameplay action inserts ledger rows, a spin, an RL step and maybe a transition, and updates the
wallet and the session: six round trips if each goes on its own. `WriteBatch` collects them while the
service works on rows it has locked, and `flush()` sends them together as data-modifying CTEs::

    WITH w0 AS (INSERT INTO ledger ... SELECT * FROM UNNEST(...)),
         w1 AS (INSERT INTO spin ...),
         w2 AS (UPDATE wallet SET ... WHERE id = ...)
    UPDATE session SET ... WHERE id = ...

The SQL of each part is Django's own (InsertQuery / UpdateQuery compilers), so values are adapted
exactly as `bulk_create` and `save(update_fields=...)` adapt them. PostgreSQL runs every part exactly
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
import threading
from collections.abc import Iterable

from django.db import connections, models
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
        query = UpdateQuery(type(instance))
        query.add_update_fields([(field, None, field.pre_save(instance, False)) for field in fields])
        query.add_filter("pk", instance.pk)
        return query.get_compiler(using=self.using).as_sql()


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
    Django's own ModelIterable makes them (converters, select_related objects). The shape of the
    queryset must not depend on the values. Compiled once per thread: the compiler keeps the thread's
    connection (gthread workers run requests in several threads).
    """

    def __init__(self, build, **sentinels) -> None:
        self._build = build
        self._sentinels = sentinels
        self._local = threading.local()

    def _compile(self):
        from django.db.models.query import get_related_populators

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
        self._local.compiled = (queryset.db, compiler, sql, params, slots, klass_info["model"], start, end, init_list,
                                get_related_populators(klass_info, select, queryset.db))
        return self._local.compiled

    def first(self, **values) -> models.Model | None:
        """The first row's instance (None if no row); `values` gives every sentinel's real value."""
        compiled = getattr(self._local, "compiled", None) or self._compile()
        db, compiler, sql, params, slots, model, start, end, init_list, populators = compiled
        params = list(params)
        for name, value in values.items():
            params[slots[name]] = value
        with connections[db].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        [row] = list(compiler.results_iter([[row]]))
        instance = model.from_db(db, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        return instance
