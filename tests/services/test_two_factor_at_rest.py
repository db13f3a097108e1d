"""Two-factor secrets are kept encrypted with the key-encryption key and recovery codes only as keyed hashes:
a dump of the database shows neither; without the right key-encryption key the secret cannot be read."""

from __future__ import annotations

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from portal.models import RecoveryCode, TwoFactorSecret
from portal.services import two_factor
from portal.services.key_material import KeyMaterialError, KeyVault


def _dump(db) -> str:
    """Every row of every table, as text."""
    rows = []
    for table in db.metadata.sorted_tables:
        rows += [repr(tuple(row)) for row in db.session.execute(sa.select(table)).all()]
    return "\n".join(rows)


def _turned_on(user) -> tuple[str, list[str]]:
    two_factor.start_setup(user)
    secret = two_factor.setup_in_progress(user).secret
    return secret, two_factor.confirm_setup(user, pyotp.TOTP(secret).now())


def test_neither_the_secret_nor_a_recovery_code_is_stored_readably(db, make):
    user = make.partner_user(make.partner())
    secret, codes = _turned_on(user)
    dump = _dump(db)
    assert secret not in dump and secret.lower() not in dump
    for code in codes:
        assert code not in dump and code.replace("-", "") not in dump
    row = db.session.scalars(sa.select(TwoFactorSecret)).one()
    assert row.encrypted_secret.startswith(b"gAAAA")  # a Fernet token
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 10


def test_another_key_encryption_key_cannot_read_the_secret(db, make):
    user = make.staff()
    _turned_on(user)
    sealed = db.session.scalars(sa.select(TwoFactorSecret.encrypted_secret)).one()
    with pytest.raises(KeyMaterialError):
        KeyVault(Fernet.generate_key().decode()).decrypt(sealed)


def test_a_code_of_an_unconfirmed_setup_signs_nothing_in(db, make):
    from portal.models.base import utcnow

    user = make.partner_user(make.partner())
    two_factor.start_setup(user)
    secret = two_factor.setup_in_progress(user).secret
    assert not two_factor.enabled_for(user)
    assert two_factor.check_code(user, pyotp.TOTP(secret).now(), utcnow()) is None
