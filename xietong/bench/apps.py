from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "xietong.bench"
    verbose_name = "Benchmarks"
