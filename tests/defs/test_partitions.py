"""Partition keys of the instrument x date assets, as objects or plain strings."""

from __future__ import annotations

import datetime as dt

import pytest

from execution_assets.defs.partitions import instrument_date_key, parse_instrument_date_key


def test_object_and_plain_string_keys_parse_alike():
    key = instrument_date_key("GOOG", dt.date(2012, 6, 21))
    assert parse_instrument_date_key(key) == ("GOOG", dt.date(2012, 6, 21))
    assert str(key) == "2012-06-21|GOOG"
    assert parse_instrument_date_key("2012-06-21|GOOG") == ("GOOG", dt.date(2012, 6, 21))


@pytest.mark.parametrize("bad", ["GOOG", "2012-06-21|GOOG|x", "2012-13-01|GOOG"])
def test_malformed_keys_are_refused_clearly(bad):
    with pytest.raises(ValueError, match="partition key"):
        parse_instrument_date_key(bad)
