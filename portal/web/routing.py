"""URL converters shared by every blueprint."""

from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # the database's integer columns


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that only matches ids the database can hold: a bigger number is a 404, never a 500."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)
