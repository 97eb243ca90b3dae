from django.apps import AppConfig


class CommandsConfig(AppConfig):
    name = "xietong.commands"
    label = "commands"
