"""Sign-in through the company's OpenID Connect provider.

mozilla-django-oidc does the protocol (authorization code flow with PKCE,
state and nonce kept in the session, the token exchange, the ID token's
signature checked against the provider's keys); this module adds what it
leaves to its users: the provider's endpoints found from the issuer alone
(discovery), the ID token's issuer and audience checked, people known by the
provider's stable subject rather than by e-mail, and their teams and role set
from the groups claim at every sign-in."""

from __future__ import annotations

import logging
import threading
import time

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.shortcuts import render
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from imports import audit
from imports.models import AuditEvent, Team
from portal.client_address import client_address
from portal.models import SignInIdentity
from portal.oidc_mapping import access_for

log = logging.getLogger(__name__)

DISCOVERY_KEPT_SECONDS = 3600
_discovery: dict = {}
_discovery_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The identity provider did not answer as an OpenID provider should."""


def provider_document() -> dict:
    """The provider's discovery document, kept for an hour per process."""
    with _discovery_lock:
        if _discovery.get("issuer") == settings.OIDC_ISSUER and _discovery["until"] > time.monotonic():
            return _discovery["document"]
    url = f"{settings.OIDC_ISSUER}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url} did not answer with the provider's configuration ({error}).") from error
    if document.get("issuer", "").rstrip("/") != settings.OIDC_ISSUER:
        raise ProviderUnavailable(
            f"The provider at {url} calls itself {document.get('issuer')!r}, not OIDC_ISSUER {settings.OIDC_ISSUER!r}."
        )
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(key)]
    if missing:
        raise ProviderUnavailable(f"The provider's configuration at {url} lacks {', '.join(missing)}.")
    with _discovery_lock:
        _discovery.update(
            issuer=settings.OIDC_ISSUER, document=document, until=time.monotonic() + DISCOVERY_KEPT_SECONDS
        )
    return document


def _signing_algorithm(document: dict) -> str:
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    # Asymmetric first: a token signed with the client secret (HS256) proves
    # less, since the portal holds that secret too.
    for algorithm in ("RS256", "ES256", "PS256", "RS384", "ES384", "RS512", "ES512"):
        if algorithm in offered:
            return algorithm
    return offered[0]


class ProviderBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # The parent reads every endpoint here, and Django makes a backend for
        # every request of a signed-in person: the endpoints are looked up
        # only when someone signs in.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not settings.OIDC_ENABLED:
            return None
        try:
            document = provider_document()
        except ProviderUnavailable as error:
            log.error("Sign-in through the identity provider failed: %s", error)
            return None
        self.OIDC_OP_TOKEN_ENDPOINT = document["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = document.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = document["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = _signing_algorithm(document)
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError) as error:
            # The person sees "sign-in failed"; the reason is for the operator,
            # and names no token or secret (the token endpoint's error body does not hold one).
            log.warning("Sign-in through the identity provider failed: %s", error)
            return None

    def _verify_jws(self, payload, key):
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"The ID token is signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO}."
            )
        # Beyond the signature: the token was made by this issuer, for this
        # portal, and is still valid.
        return jwt.decode(
            payload,
            key,
            algorithms=[self.OIDC_RP_SIGN_ALGO],
            audience=settings.OIDC_RP_CLIENT_ID,
            issuer=provider_document()["issuer"],
            options={"require": ["exp", "iat", "sub"]},
            leeway=60,
        )

    def get_userinfo(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            claims.update(super().get_userinfo(access_token, id_token, payload))
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The provider's user information is about another subject than its ID token.")
        return claims

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def describe_user_by_claims(self, claims):
        return f"subject {claims.get('sub')}"

    def filter_users_by_claims(self, claims):
        users = self.UserModel.objects.filter(
            sign_in_identities__issuer=settings.OIDC_ISSUER, sign_in_identities__subject=claims["sub"]
        )
        if users.exists():
            return users
        # A person the portal knew before single sign-on keeps their history,
        # but only through an address the provider vouches for.
        email = claims.get("email")
        if email and claims.get("email_verified") is True:
            return self.UserModel.objects.filter(email__iexact=email, sign_in_identities__isnull=True)
        return self.UserModel.objects.none()

    def create_user(self, claims):
        with transaction.atomic():
            user = self.UserModel(username=_free_username(claims))
            user.set_unusable_password()
            _copy_profile(user, claims)
            user.save()
            return self.update_user(user, claims)

    def update_user(self, user, claims):
        with transaction.atomic():
            SignInIdentity.objects.update_or_create(
                issuer=settings.OIDC_ISSUER,
                subject=claims["sub"],
                defaults={"user": user, "groups": _groups(claims)},
            )
            _copy_profile(user, claims)
            access_sync(user=user, groups=_groups(claims), client_address=client_address(self.request))
        return user


def _groups(claims) -> list[str]:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    return [groups] if isinstance(groups, str) else [str(group) for group in groups]


def _copy_profile(user, claims) -> None:
    user.email = claims.get("email") or user.email
    user.first_name = (claims.get("given_name") or user.first_name)[:150]
    user.last_name = (claims.get("family_name") or user.last_name)[:150]
    if user.pk:
        user.save(update_fields=["email", "first_name", "last_name"])


def _free_username(claims) -> str:
    field = get_user_model()._meta.get_field("username")
    wanted = (claims.get("preferred_username") or claims.get("email") or claims["sub"])[: field.max_length - 4]
    users = get_user_model().objects
    candidate, number = wanted, 1
    while users.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate


def access_sync(*, user, groups: list[str], client_address: str | None) -> None:
    """Sets the person's teams and role to exactly what their groups give:
    a group left at the provider is a team lost here at the next sign-in.
    Teams are the provider's to give only when OIDC_TEAM_GROUPS maps some,
    and the admin role only when OIDC_ADMIN_GROUPS names some; otherwise
    (a provider without a groups claim, such as Google) admins give them here."""
    access = access_for(groups, team_groups=settings.OIDC_TEAM_GROUPS, admin_groups=settings.OIDC_ADMIN_GROUPS)
    changes = []
    if settings.OIDC_TEAM_GROUPS:
        teams = list(Team.objects.filter(name__in=access.team_names))
        unknown = access.team_names - {team.name for team in teams}
        if unknown:
            log.warning("OIDC_TEAM_GROUPS names teams the portal does not have: %s", ", ".join(sorted(unknown)))
        before = set(user.teams.values_list("name", flat=True))
        after = {team.name for team in teams}
        user.teams.set(teams)
        changes += [f"joined {name}" for name in sorted(after - before)]
        changes += [f"left {name}" for name in sorted(before - after)]
    if settings.OIDC_ADMIN_GROUPS and (user.is_staff, user.is_superuser) != (access.is_admin, access.is_admin):
        changes.append("became an admin" if access.is_admin else "is no longer an admin")
        user.is_staff = user.is_superuser = access.is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    if changes:
        audit.record(
            AuditEvent.Action.ACCESS_FROM_PROVIDER, user=user, client_address=client_address, detail="; ".join(changes)
        )


class SignInStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and a PKCE challenge."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not settings.OIDC_ENABLED:
            return render(request, "registration/sso_unavailable.html", {"reason": "not_configured"}, status=404)
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_document()["authorization_endpoint"]
        except ProviderUnavailable as error:
            log.error("Sign-in through the identity provider could not start: %s", error)
            return render(request, "registration/sso_unavailable.html", {"reason": "unavailable"}, status=503)
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; a failure lands on the
    sign-in page with a plain message, never a server error."""

    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            # A reply to a sign-in this browser did not start here (an old
            # tab, a replayed link): start again rather than a 400 page.
            log.warning("Sign-in reply refused: %s", error)
            return self.login_failure()
