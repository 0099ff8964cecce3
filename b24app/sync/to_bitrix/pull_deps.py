"""What one pull of one 1C base into one portal talks to, handed in by the job layer (`b24app/jobs/pull.py`).

The streams (payments, shipments, debt) read 1C through `odata` + `profile` (what changed since the watermark)
and `documents` (the reader of orders, their documents and balances, over the same client and profile), write the
portal through `bitrix`, and keep their place in the stores: entity links, durable marks, watermarks, debt parts,
the journal.
The portal's settings and language are values read once per pull, not stores; the clock gives debt its "as of".
"""

from __future__ import annotations

from dataclasses import dataclass

from b24app.bitrix.client import BitrixClient
from b24app.core.clock import Clock
from b24app.core.portal_settings import PortalSettings
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.onec.readers import OneCDocuments
from b24app.store.debt_parts import DebtParts
from b24app.store.journal import Journal
from b24app.store.links import LinkStore
from b24app.store.marks import Marks
from b24app.store.watermarks import Watermarks
from b24app.sync.to_onec.write_back import OwnWriteLog


@dataclass(frozen=True)
class PullDeps:
    bitrix: BitrixClient
    odata: ODataClient
    profile: Profile
    documents: OneCDocuments
    links: LinkStore
    marks: Marks
    watermarks: Watermarks
    debt_parts: DebtParts  # each base's part of a company's debt (the debt stream sums them)
    journal: Journal
    settings: PortalSettings
    lang: str  # the language of timeline comments (the portal's install LANG, normalised)
    clock: Clock
    member_id: str
    base_id: int
    # Counts the update events the streams' own deal writes cause (store/own_writes.py); None: not counted.
    own_writes: OwnWriteLog | None = None

