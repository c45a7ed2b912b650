import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from operator_console.services import CONSOLE_ROLES, operator_login_upsert


class Command(BaseCommand):
    help = ("Give a person an admin-console login (is_staff, in the 'operators' or 'admins' group). "
            "API tokens never log in to the admin; this is the only way besides createsuperuser.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(CONSOLE_ROLES), default="operator")
        parser.add_argument("--password-env", metavar="VAR",
                            help="read the password from this environment variable")
        parser.add_argument("--prompt", action="store_true", help="ask for the password on the terminal")

    def handle(self, *args, **options):
        password = None
        if options["password_env"]:
            password = os.environ.get(options["password_env"])
            if not password:
                raise CommandError(f"${options['password_env']} is empty or unset")
        elif options["prompt"]:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ")
        user, generated = operator_login_upsert(username=options["username"], role=options["role"],
                                                password=password)
        self.stderr.write(f"{user.username} can now log in at /admin/ as {options['role']}.")
        if generated:
            self.stderr.write("Generated password (shown once):")
            self.stdout.write(generated)
