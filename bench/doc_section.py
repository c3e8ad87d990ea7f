"""One named section of a Markdown file, between `<!-- NAME:begin -->` and `<!-- NAME:end -->`:
each bench script rewrites its own and leaves the others where they are."""
import os


def replace_section(doc, name, lines):
    """Writes `lines` (without the markers) as section `name` of `doc`: in place of the previous
    one, else at the end. Returns the section's text."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    section = "\n".join([begin, *lines, end]) + "\n"
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(doc, "w") as handle:
        handle.write(text)
    return section
