"""DRF's JSON parser, reading through core.jsonbody (depth, NUL/surrogate and number checks)."""
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core import jsonbody


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = stream.read() if stream is not None else b""
        try:
            text = body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            raise ParseError(f"The body is not valid {encoding}.") from None
        try:
            return jsonbody.loads(text)
        except jsonbody.BodyRejected as exc:
            raise ParseError(exc.message) from None
