from django.apps import AppConfig


class CharterConfig(AppConfig):
    name = "xietong.charter"
    label = "charter"
