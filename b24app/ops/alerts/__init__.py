"""Alerts: incidents detected from what the exchange records, told once when they open and once when they clear,
by e-mail and Bitrix24 notification, under a per-portal hourly limit (issue 15).

`findings` holds the detectors, `engine` the incident state machine and the sending, `channels` SMTP and
`im.notify.system.add`, `texts` the words. The scheduled job (`jobs/alerts.py`) gathers the facts and runs them.
"""
