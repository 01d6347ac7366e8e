from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "samplan.directory"
    label = "directory"
