"""TOTP secrets are sealed to their account: they open with the right key and account only."""
from __future__ import annotations

import pytest

from consent_db.totp_secrets import TotpSecretError, open_secret, seal_secret

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def test_a_sealed_secret_opens_for_its_account_under_its_key():
    stored = seal_secret(KEY, 7, "JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in stored
    assert open_secret(KEY, 7, stored) == "JBSWY3DPEHPK3PXP"


@pytest.mark.parametrize("key, account, stored", [
    pytest.param(OTHER, 7, None, id="another key"),
    pytest.param(KEY, 8, None, id="copied onto another account"),
    pytest.param(KEY, 7, "", id="nothing stored"),
    pytest.param(KEY, 7, "not base85 ~~~", id="garbage"),
])
def test_a_secret_that_does_not_open_is_a_clear_error(key, account, stored):
    stored = seal_secret(KEY, 7, "JBSWY3DPEHPK3PXP") if stored is None else stored
    with pytest.raises(TotpSecretError, match=f"account {account}"):
        open_secret(key, account, stored)
