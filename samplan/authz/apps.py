from django.apps import AppConfig


class AuthzConfig(AppConfig):
    name = "samplan.authz"
    label = "authz"
