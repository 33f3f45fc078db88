"""API tokens for external dashboards and pipelines (DRF token authentication).

    manage.py apitoken create USER [--new-user] [--replace]   prints the token, and only it
    manage.py apitoken list
    manage.py apitoken revoke USER

A client sends `Authorization: Token <key>`. It sees what its user sees (staff, beta tester,
or neither) and is not rate limited. Staff can do the same in the admin (/admin/, Tokens).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from pandjango.sections import ANONYMOUS, visibility_class

SHOWN_KEY_CHARS = 6


class Command(BaseCommand):
    help = "Creates, lists and revokes API tokens (Authorization: Token <key>)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create USER's token and print it")
        create.add_argument("username")
        create.add_argument("--new-user", action="store_true", help="create USER first, without a password (an account for a pipeline)")
        create.add_argument("--replace", action="store_true", help="replace USER's token if there is one (the old one stops working)")
        actions.add_parser("list", help="list the tokens: user, what the user sees, created (never the keys)")
        revoke = actions.add_parser("revoke", help="delete USER's token")
        revoke.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self.create(options["username"], options["new_user"], options["replace"])
        elif action == "list":
            self.list()
        else:
            self.revoke(options["username"])

    def create(self, username: str, new_user: bool, replace: bool) -> None:
        user = _user(username, new_user)
        existing = Token.objects.filter(user=user).first()
        if existing is not None:
            if not replace:
                raise CommandError(f"{username} already has a token (created {existing.created:%Y-%m-%d %H:%M} UTC); --replace makes a new one")
            existing.delete()
        token = Token.objects.create(user=user)
        self.stdout.write(token.key)
        self.stderr.write(f"token for {username} ({_view_of(user)} view); send it as the header: Authorization: Token <key>")

    def list(self) -> None:
        tokens = Token.objects.select_related("user").order_by("user__username")
        if not tokens:
            self.stdout.write("no API tokens")
            return
        self.stdout.write(f"{'user':20} {'sees as':10} {'created (UTC)':17} key")
        for token in tokens:
            shown = token.key[:SHOWN_KEY_CHARS] + "..."
            self.stdout.write(f"{token.user.username:20} {_view_of(token.user):10} {token.created:%Y-%m-%d %H:%M} {shown}")

    def revoke(self, username: str) -> None:
        deleted, _ = Token.objects.filter(user__username=username).delete()
        if not deleted:
            raise CommandError(f"{username} has no token")
        self.stdout.write(f"revoked the token of {username}")


def _view_of(user: User) -> str:
    """What a token of this user sees: staff, beta, or what everyone sees."""
    kind = visibility_class(user)
    return "public" if kind == ANONYMOUS else kind


def _user(username: str, create: bool) -> User:
    if create:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        return user
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(f"no user {username!r} (--new-user creates one)") from None
