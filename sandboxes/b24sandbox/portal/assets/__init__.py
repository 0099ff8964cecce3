"""Browser assets of the sandbox portal: page templates and the BX24 scripts (a package so they ship as data)."""
