"""The no-op job both peers run; a module of its own so RQ can import it by name."""


def noop(index):
    return None
