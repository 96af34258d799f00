"""Owner-set verification settings: a required audience and an issuer allow-list.

Stored as one JSON object; both fields are optional and absent means "off":

    {"audience"?: str, "issuers"?: [str, ...]}
"""

from . import values

MAX_AUDIENCE_CHARS = 256
MAX_ISSUERS = 16
MAX_ISSUER_CHARS = 256

BAD_AUDIENCE = "Invalid settings: audience must be a string of 1 to 256 characters"
BAD_ISSUERS = "Invalid settings: issuers must be a list of 1 to 16 strings of 1 to 256 characters"


def _is_short_text(value, limit):
    return type(value) is str and 1 <= len(value) <= limit


def validate_settings(audience=None, issuers=None):
    """(settings dict, None) or (None, reason). None for a field turns it off."""
    settings = {}
    if audience is not None:
        if not _is_short_text(audience, MAX_AUDIENCE_CHARS):
            return None, BAD_AUDIENCE
        settings["audience"] = audience
    if issuers is not None:
        if not values.is_str_list(issuers) or not 1 <= len(issuers) <= MAX_ISSUERS:
            return None, BAD_ISSUERS
        for issuer in issuers:
            if not _is_short_text(issuer, MAX_ISSUER_CHARS):
                return None, BAD_ISSUERS
        settings["issuers"] = list(issuers)
    return settings, None
