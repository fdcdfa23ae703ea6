"""Notes: markdown + YAML frontmatter files as typed, byte-exact documents.

Entry points: `read_note(root, path)` and `write_note(root, note_path, text)`.
"""

from teleo.notes.document import Document, Problem, parse_document
from teleo.notes.edit import atomic_write, atomic_write_bytes, remove_field, replace_in_body, set_field
from teleo.notes.links import WikiLink, find_links, split_link
from teleo.notes.note import Note, note_from_bytes, note_from_text, read_note
from teleo.notes.schema import SPECS, Kind

__all__ = [
    "Document", "Kind", "Note", "Problem", "SPECS", "WikiLink", "atomic_write", "atomic_write_bytes", "find_links",
    "note_from_bytes", "note_from_text", "parse_document", "read_note", "remove_field",
    "replace_in_body", "set_field", "split_link",
]
