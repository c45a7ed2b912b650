from django.core.management.base import BaseCommand

from operator_console.services import roles_sync


class Command(BaseCommand):
    help = "Create or refresh the 'operators' and 'admins' groups (also done after every migrate)."

    def handle(self, *args, **options):
        operators, admins = roles_sync()
        self.stdout.write(f"operators: {operators.permissions.count()} permissions; "
                          f"admins: {admins.permissions.count()} permissions")
