from collections import Counter

import pytest

from tests.core import adversarial
import guard_core
from tests.core.core_support import verify
from guard_core import reasons

CONTEXT = adversarial.default_context()
CORPUS = adversarial.build_corpus(CONTEXT)


def test_corpus_is_large_and_covers_every_pre_time_reason():
    assert len(CORPUS) >= 200
    counts = Counter(case.reason for case in CORPUS)
    # Key id required depends on the size of the key set, not on the token; test_core_verifier covers it.
    not_token_driven = {reasons.PAUSED, reasons.CUSTOM_CLAIMS_REJECTED, reasons.VERIFICATION_ERROR, reasons.KEY_ID_REQUIRED}
    expected = set(reasons.JWT_REASONS) - not_token_driven
    assert expected <= set(counts), expected - set(counts)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_case_is_rejected_with_its_reason(case):
    result = verify(case.token, CONTEXT.public_keys, now=CONTEXT.now, sign_payload=case.sign_payload,
                    issuer=CONTEXT.issuer, audience=CONTEXT.audience)
    assert result == (False, case.reason)


def test_context_accepts_its_own_valid_tokens():
    for token in (CONTEXT.rs256(), CONTEXT.eddsa()):
        result = verify(token, CONTEXT.public_keys, now=CONTEXT.now, sign_payload=CONTEXT.sign_payload,
                        issuer=CONTEXT.issuer, audience=CONTEXT.audience)
        assert result == (True, "google-oauth2|123456789")


def test_context_keys_pass_validation():
    assert guard_core.validate_public_keys(CONTEXT.public_keys) == (CONTEXT.public_keys, None)
