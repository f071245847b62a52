"""The baseline's job: bare RQ doing nothing, to measure what the queue itself costs."""


def noop(*_args, **_kwargs):
    return None
