"""Seals Talkdesk client secrets for storage. Plain module: keys are passed in.

The first key seals; every key opens, so that a key can be rotated while
secrets sealed under the old one are still readable until re-sealed.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretUnreadable(Exception):
    """No configured key opens the stored secret."""


def _box(keys: list[str]) -> MultiFernet:
    if not keys:
        raise SecretUnreadable("No encryption key is configured.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise SecretUnreadable(
            "An encryption key is not valid: each key must be 32 url-safe base64-encoded bytes "
            "(make one with `python -m imports.secret_box`)."
        ) from None


def seal(secret: str, keys: list[str]) -> str:
    return _box(keys).encrypt(secret.encode()).decode()


def open_sealed(sealed: str, keys: list[str]) -> str:
    try:
        return _box(keys).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "The stored client secret cannot be decrypted with the configured keys; an admin must enter it again."
        ) from None


def reseal(sealed: str, keys: list[str]) -> str:
    """Seal again under the first key."""
    try:
        return _box(keys).rotate(sealed.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The stored client secret cannot be decrypted with the configured keys.") from None


def new_key() -> str:
    return Fernet.generate_key().decode()


if __name__ == "__main__":
    print(new_key())
