import pytest
from cryptography.fernet import Fernet

from imports import secret_box


def test_a_sealed_secret_opens_with_the_same_key():
    key = Fernet.generate_key().decode()
    # Spaces and "!" are outside Fernet's alphabet, so finding the secret in
    # the token could only mean it was copied there; "s3" turned up by chance
    # in about one random token of forty.
    secret = "not a real secret!"
    sealed = secret_box.seal(secret, [key])
    assert secret not in sealed
    assert secret_box.open_sealed(sealed, [key]) == secret


def test_after_rotation_old_secrets_still_open_and_reseal_under_the_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = secret_box.seal("s3", [old])
    assert secret_box.open_sealed(sealed, [new, old]) == "s3"
    resealed = secret_box.reseal(sealed, [new, old])
    assert secret_box.open_sealed(resealed, [new]) == "s3"


def test_a_secret_sealed_under_an_unknown_key_is_reported_plainly():
    sealed = secret_box.seal("s3", [Fernet.generate_key().decode()])
    with pytest.raises(secret_box.SecretUnreadable, match="enter it again"):
        secret_box.open_sealed(sealed, [Fernet.generate_key().decode()])


def test_a_malformed_key_is_reported_without_echoing_it():
    with pytest.raises(secret_box.SecretUnreadable) as error:
        secret_box.seal("s3", ["not-a-key"])
    assert "not-a-key" not in str(error.value)
