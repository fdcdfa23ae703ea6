"""Rebuild the claim-quality rubric's word-readings table from the installed `lemminflect`.

Run it when the pinned `lemminflect` changes: `python scripts/word_readings.py` (see `teleo.gates.lexicon`).
"""

from teleo.gates.lexicon import TABLE, write_table

if __name__ == "__main__":
    print(f"{write_table()} words written to {TABLE}")
