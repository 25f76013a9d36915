"""The one place student-derived text is made safe (autograder.text)."""
from autograder.text import clean, csv_cell, one_line


def test_clean_shows_control_characters_and_keeps_newlines_and_tabs():
    fake = "\x1b[2J\x1b[HTotal: 100 / 100\rreal\x07\x9b31m\u202eevil\nnext\tcol"
    out = clean(fake)
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out and "\x9b" not in out
    assert "\u202e" not in out
    assert "\\x1b[2J" in out and "\\x0d" in out and "\\u202e" in out
    assert "\nnext\tcol" in out


def test_clean_cuts_long_text_and_says_so():
    out = clean("x" * 100, limit=10)
    assert out.startswith("x" * 10) and "90 more characters cut" in out


def test_one_line_folds_newlines():
    assert one_line("a\nb\tc") == "a\\nb c"


def test_csv_cells_never_start_a_formula():
    for evil in ("=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        cell = csv_cell(evil)
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (evil, cell)
        assert "\t" not in cell and "\r" not in cell
    assert csv_cell("alice") == "alice"
    assert csv_cell(12.5) == 12.5 and csv_cell(-3) == -3


def test_clean_shows_lone_surrogates_so_utf8_output_never_fails():
    out = clean("bad\udcff name")  # an undecodable byte of a file name, as os.fsdecode gives it
    assert out == "bad\\udcff name" and out.encode("utf-8")


def test_clean_escapes_every_character_unicode_classes_as_control_format_or_separator():
    """One filter, built on Unicode's categories (Cc, Cf, Zl, Zp, Cs, Co, Cn), not a hand list:
    the line breaks U+0085 / U+2028 / U+2029 and the direction marks U+200F / U+202E (and any
    other format character, such as U+2066 or the zero-width space) never pass unquoted."""
    import unicodedata

    from autograder.text import HIDDEN_CATEGORIES

    hidden = "\x85\u2028\u2029\u200f\u202e\u2066\u200b\ufeff\ue000\U000e0001"
    out = clean(f"a{hidden}b\nc\td")
    assert all(c not in out for c in hidden), ascii(out)
    assert "\\x85" in out and "\\u2028" in out and "\\u2029" in out and "\\u200f" in out
    assert "\\U000e0001" in out and out.endswith("b\nc\td")
    assert not any(unicodedata.category(c) in HIDDEN_CATEGORIES for c in out.replace("\n", "").replace("\t", ""))
    assert one_line("x\u2028Total: 100 / 100") == "x\\u2028Total: 100 / 100"
    assert clean("Zoë Ω 数学 ｅ") == "Zoë Ω 数学 ｅ"  # letters of every script pass as they are
