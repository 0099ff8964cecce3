"""Sandboxes for development and tests: a Bitrix24 portal (`b24sandbox.portal`) and 1C bases (`b24sandbox.onec`).

A distribution of its own (`sandboxes/pyproject.toml`), never shipped in the product wheel, and importing nothing
of the app: each sandbox is written from the platform's documentation and real artefacts, not from the client it
stands in front of. Installed editable into the development venv by `scripts/setup`.
"""
