from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from core.exceptions import ValidationFailed

_MAX_POSITION = 2**63 - 1


class IntegerCursorPagination(CursorPagination):
    """Cursor pagination over a non-negative integer column (ids, step indexes). DRF decodes the cursor's position but passes it to
    the query unchecked, so a forged cursor (`p=1' OR 1=1`) reached the ORM and answered 500; here
    every part of the cursor is checked, and a bad one is a 400 naming `cursor`."""

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:  # DRF's answer to a cursor it cannot decode
            raise self._invalid() from exc
        if cursor is None or cursor.position is None:
            return cursor
        position = cursor.position
        if not (position.isascii() and position.isdigit() and len(position) <= 19 and int(position) <= _MAX_POSITION):
            raise self._invalid()
        return cursor

    def _invalid(self) -> ValidationFailed:
        return ValidationFailed("The pagination cursor is invalid; follow the `next`/`previous` links as given.",
                                details={"field": self.cursor_query_param})


class NewestFirstPagination(IntegerCursorPagination):
    """The list endpoints' cursor pagination: newest first, `?limit=` up to 200."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
