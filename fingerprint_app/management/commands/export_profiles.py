import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from fingerprint_app.selectors import profile_get, profile_list
from fingerprint_app.serializers import profile_data


class Command(BaseCommand):
    help = "Export the profile library (signatures and raw sufficient statistics) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="output file ('-' for stdout)")
        parser.add_argument("--all-versions", action="store_true", help="default: newest version per engine")

    def handle(self, *args, **options):
        ids = list(profile_list(latest_only=not options["all_versions"]).values_list("pk", flat=True))
        document = {"format": "agent-royale-fingerprints/1",
                    "profiles": [profile_data(profile_get(profile_id=pk), detail=True) for pk in ids]}
        text = json.dumps(document, indent=2, cls=DjangoJSONEncoder)
        if options["out"] == "-":
            self.stdout.write(text)
        else:
            Path(options["out"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {len(ids)} profile(s) to {options['out']}")
