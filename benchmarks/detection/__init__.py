"""Labelled detection evaluation set (French, English, German), its scorer and the harness that
compares Gouvernail's inspector with stock Presidio. See README.md in this folder."""
