"""core.jsonbody, the one strict JSON reader: property tests over generated documents."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from core import jsonbody

storable_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
hostile_text = st.one_of(st.just("\x00"), st.sampled_from(["\ud800", "\udfff", "a\udc00b"]),
                         st.text(min_size=1, max_size=5).map(lambda t: t + "\x00"))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), storable_text,
                    st.floats(allow_nan=False, allow_infinity=False))


def documents(leaves):
    return st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(storable_text, children, max_size=4)), max_leaves=20)


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(document=documents(scalars))
def test_storable_documents_load_unchanged(document):
    assert jsonbody.loads(json.dumps(document).encode()) == document


@settings(max_examples=300, deadline=None)
@given(document=documents(scalars), bad=hostile_text, as_key=st.booleans())
def test_a_nul_or_lone_surrogate_anywhere_is_refused(document, bad, as_key):
    wrapped = {"ok": document, bad: 1} if as_key else [document, {"deep": [bad]}]
    with pytest.raises(jsonbody.BodyRejected) as refused:
        jsonbody.loads(json.dumps(wrapped).encode())
    assert refused.value.reason in {"nul_character", "unpaired_surrogate"}


@settings(max_examples=100, deadline=None)
@given(levels=st.integers(min_value=1, max_value=200_000), opener=st.sampled_from(["[", '{"k":']))
def test_nesting_beyond_the_limit_is_refused_and_never_recurses(levels, opener):
    closer = "]" if opener == "[" else "}"
    body = (opener * levels + ("0" if opener != "[" else "") + closer * levels).encode()
    if levels <= jsonbody.max_depth():
        assert depth(jsonbody.loads(body)) == levels
    else:
        with pytest.raises(jsonbody.BodyRejected) as refused:
            jsonbody.loads(body)
        assert refused.value.reason == "too_deep"


@pytest.mark.parametrize("body", [b"NaN", b"[Infinity]", b"-Infinity", b"1e999", b"[1e400]", b"\xff", b"{", b"",
                                  b"1" * 5000])
def test_non_json_and_non_finite_numbers_are_refused(body):
    with pytest.raises(jsonbody.BodyRejected):
        jsonbody.loads(body)
