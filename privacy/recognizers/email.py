"""E-mail addresses, validated offline.

Presidio's own e-mail recognizer validates the domain with ``tldextract``'s
default extractor, which downloads the public-suffix list on first use. This one
uses the snapshot bundled with tldextract and never touches the network.
"""

from __future__ import annotations

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer

_OFFLINE = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    def validate_result(self, pattern_text: str) -> bool:
        return _OFFLINE(pattern_text).fqdn != ""
