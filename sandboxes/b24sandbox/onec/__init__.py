"""Sandbox 1C:Enterprise bases that publish the standard OData interface (OData v3) over real HTTP.

Used by tests and the demo in place of real УТ 11 / БП 3.0 bases. Shares no code with the app's
1C client (`b24app.onec`), so a misunderstanding of the protocol cannot hide on both sides.
"""
