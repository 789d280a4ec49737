#!/usr/bin/env python3
"""gen-page.py — writes page.c (the page as a C string) from page.html. Run after editing the
page: python3 tools/serve/gen-page.py. tests/cli/serve/page-sync.sh checks the two agree."""
import json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
html = open(os.path.join(here, "page.html"), encoding="utf-8").read()
out = ["/* page.c — GENERATED from page.html by gen-page.py; edit page.html, then run the script. */",
       '#include "app.h"', "", "const char serve_page_html[] ="]
for line in html.splitlines(keepends=True):
    # json.dumps escapes quotes, backslashes and controls as C accepts them; keep UTF-8 as is.
    out.append("    " + json.dumps(line, ensure_ascii=False).replace("?", "\\?"))
out[-1] += ";"
text = "\n".join(out) + "\n"
dest = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "page.c")
open(dest, "w", encoding="utf-8").write(text)
