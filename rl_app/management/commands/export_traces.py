"""python manage.py export_traces --format jsonl|parquet|minari --out PATH [--game --policy --since --until]"""
import sys
from datetime import datetime, time, timezone
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from rl_app import export, metrics


def _moment(value: str | None, *, option: str) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"{option} must be an ISO 8601 date or datetime, got {value!r}.")
        moment = datetime.combine(day, time.min)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Command(BaseCommand):
    help = ("Export experience steps for offline training: JSON Lines, Parquet (row groups) or a Minari dataset. "
            "Streams from the database, so memory stays flat for millions of steps.")

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=["jsonl", "parquet", "minari"])
        parser.add_argument("--out", required=True, help="File for jsonl/parquet; datasets root dir for minari "
                                                          "(load with MINARI_DATASETS_PATH=<out>)")
        parser.add_argument("--game", help="Only episodes of this game (slug)")
        parser.add_argument("--policy", help="Only episodes with a step taken by this policy id")
        parser.add_argument("--since", help="Only episodes started at or after this ISO date/datetime (UTC if naive)")
        parser.add_argument("--until", help="Only episodes started before this ISO date/datetime (exclusive; UTC if naive)")
        parser.add_argument("--dataset-id", default=export.DEFAULT_MINARI_DATASET_ID, help="Minari dataset id")
        parser.add_argument("--chunk-size", type=int, default=2000, help="Rows fetched per database round trip")
        parser.add_argument("--row-group-size", type=int, default=50_000, help="Parquet rows per row group")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar")

    def handle(self, *args, **options):
        if options["chunk_size"] < 1 or options["row_group_size"] < 1:
            raise CommandError("--chunk-size and --row-group-size must be positive.")
        out = Path(options["out"])
        fmt = options["format"]
        if fmt != "minari" and out.is_dir():
            raise CommandError(f"--out {out} is a directory; give a file path for {fmt}.")
        since, until = _moment(options["since"], option="--since"), _moment(options["until"], option="--until")
        if since is not None and until is not None and until <= since:
            raise CommandError("--until must be later than --since.")
        queryset = export.export_rows(game=options["game"], policy=options["policy"], since=since, until=until)
        total = queryset.count()
        progress = tqdm(queryset.iterator(chunk_size=options["chunk_size"]), total=total, unit="step",
                        desc=f"export {fmt}", file=sys.stderr, disable=options["no_progress"])
        try:
            if fmt == "jsonl":
                count = export.write_jsonl(progress, out)
            elif fmt == "parquet":
                count = export.write_parquet(progress, out, row_group_size=options["row_group_size"])
            else:
                if total == 0:
                    raise CommandError("No steps match: a Minari dataset needs at least one episode.")
                out.mkdir(parents=True, exist_ok=True)
                try:
                    count = export.write_minari(progress, out, dataset_id=options["dataset_id"])
                except ValueError as exc:  # e.g. the dataset id already exists under --out
                    raise CommandError(str(exc)) from exc
        finally:
            progress.close()
        metrics.EXPORTED_STEPS.labels(format=fmt).inc(count)
        target = f"{out} (dataset {options['dataset_id']})" if fmt == "minari" else str(out)
        self.stdout.write(f"Exported {count} steps to {target} as {fmt}.")
