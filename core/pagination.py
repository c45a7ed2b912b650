from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """The list endpoints' cursor pagination: newest first, `?limit=` up to 200."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
