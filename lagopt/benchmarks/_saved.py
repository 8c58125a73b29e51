"""Reading back the JSON files the benchmark programs save (``{"format", "meta",
"records"}``), so that a report can be rebuilt from them."""
import json


def read_saved(path, fmt, what):
    """The saved dict of `path`, whose ``format`` must be `fmt` (ValueError naming `what`,
    e.g. ``"a wide race file"``, otherwise)."""
    with open(path) as fh:
        saved = json.load(fh)
    if saved.get("format") != fmt:
        raise ValueError(f"{path} is not {what} (format {saved.get('format')!r}, expected "
                         f"{fmt!r}).")
    return saved
