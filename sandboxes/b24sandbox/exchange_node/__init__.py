"""A sandbox 1C exchange node: drives a site through 1C's "exchange with a website" protocol (CommerceML) the way
1C:Enterprise does — checkauth, init, files in chunks (zipped when the site says zip=yes), import per file until
success; for orders checkauth, init, query, success, and an orders document sent back. Built from the protocol's
description (the 1C-Bitrix course "Обмен с 1С" and the site side of 1C-Bitrix's exchange components), not from the
app; it never imports b24app."""
