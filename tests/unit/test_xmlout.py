"""The report XML writer against ElementTree: the same bytes as
``ElementTree.indent`` + ``ElementTree.tostring`` on documents with every
escape, empty and whitespace-only text, mixed content and late attributes."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from bimcheck.report import xmlout

ODD = 'a <b> & "c" \r\n\tend é 🏗'


def _both(build):
    """Build one document with each library's API; their two serialisations."""
    et_root = build(ET.Element, lambda p, tag, attrs=None, text=None: _et_sub(p, tag, attrs, text))
    ours = build(xmlout.Element, xmlout.sub)
    ET.indent(et_root, space="  ")
    return ET.tostring(et_root, encoding="unicode"), xmlout.to_string(ours)


def _et_sub(parent, tag, attrs, text):
    e = ET.SubElement(parent, tag, attrs or {})
    e.text = text
    return e


def _doc(element, sub):
    root = element("Root", {"b": ODD, "a": "plain"})
    leaf = sub(root, "Leaf", None, ODD)
    leaf.set("late", "x>y")
    sub(root, "Empty")
    sub(root, "EmptyText", None, "")
    sub(root, "Spaces", None, "   ")
    mid = sub(root, "Mid", {"k": "v"})
    for i in range(3):
        sub(sub(mid, "Deep", {"i": str(i)}), "Deeper", None, f"t{i} <&>")
    mixed = sub(root, "Mixed", None, "kept text")
    sub(mixed, "Child", None, "c")
    blank = sub(root, "Blank", None, " \n ")
    sub(blank, "Child")
    root.set("set_last", "1")
    return root


def test_the_same_bytes_as_elementtree():
    ours_et, ours = _both(_doc)
    assert ours == ours_et
    assert "&#10;" in ours and "&#13;" in ours and "&#09;" in ours and "&quot;" in ours


@pytest.mark.parametrize("space", ["  ", "\t", ""])
def test_the_same_bytes_for_another_indent(space):
    et_root = _doc(ET.Element, lambda p, tag, attrs=None, text=None: _et_sub(p, tag, attrs, text))
    ET.indent(et_root, space=space)
    assert xmlout.to_string(_doc(xmlout.Element, xmlout.sub), space) == ET.tostring(
        et_root, encoding="unicode")


def test_a_lone_root():
    assert xmlout.to_string(xmlout.Element("R")) == "<R />"
    assert xmlout.to_string(xmlout.Element("R", {"a": "<"}, "&")) == '<R a="&lt;">&amp;</R>'
