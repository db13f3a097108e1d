"""How a key is shown when its secret is not: its public prefix and a fixed run of dots."""


def masked(prefix: str) -> str:
    return prefix + "•" * 8
